import type { Kysely } from 'kysely';
import { rebuildChannelBuckets } from '../channel-rollups.js';
import type { Database } from '../schema.js';

/**
 * Hourly and daily aggregates of every channel (count, min, max, sum, first and last reading),
 * read by chart series over long ranges. Readings stored before this migration get theirs
 * now, channel by channel and a week at a time (see rebuildChannelBuckets), in the same
 * transaction as the tables.
 */
export function channelRollups() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const table of ['channel_hours', 'channel_days'] as const) {
        await db.schema
          .createTable(table)
          .addColumn('channel_id', 'bigint', (c) => c.notNull().references('channels.id').onDelete('cascade'))
          .addColumn('bucket_start', 'bigint', (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull())
          .addColumn('min', 'double precision', (c) => c.notNull())
          .addColumn('max', 'double precision', (c) => c.notNull())
          .addColumn('sum', 'double precision', (c) => c.notNull())
          .addColumn('first_time', 'bigint', (c) => c.notNull())
          .addColumn('first_value', 'double precision', (c) => c.notNull())
          .addColumn('last_time', 'bigint', (c) => c.notNull())
          .addColumn('last_value', 'double precision', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pkey`, ['channel_id', 'bucket_start'])
          .execute();
      }
      const typed = db as unknown as Kysely<Database>;
      const channels = await typed.selectFrom('channels').select('id').orderBy('id').execute();
      for (const { id } of channels) await rebuildChannelBuckets(typed, id);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('channel_days').execute();
      await db.schema.dropTable('channel_hours').execute();
    },
  };
}
