import type { Kysely } from 'kysely';
import { rebuildFlowRollups, ROLLUP_CHANNEL_TYPE } from '../rollups.js';
import type { Database } from '../schema.js';

/**
 * Per-hour and per-day flow rollups of `flowrate` channels: volume (bbl) and ping count of
 * each UTC hour and day. Volume queries add whole buckets and compute only the partial hours
 * at the range's edges from raw pings, so their cost does not grow with the range.
 */
export function flowRollups() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const [table, column] of [
        ['flow_hours', 'hour_start'],
        ['flow_days', 'day_start'],
      ] as const) {
        await db.schema
          .createTable(table)
          .addColumn('channel_id', 'bigint', (c) => c.notNull().references('channels.id').onDelete('cascade'))
          .addColumn(column, 'bigint', (c) => c.notNull())
          .addColumn('volume', 'double precision', (c) => c.notNull())
          .addColumn('ping_count', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pkey`, ['channel_id', column])
          .execute();
      }
      // Pings stored before this migration get their rollups now, in the same transaction.
      const typed = db as unknown as Kysely<Database>;
      const channels = await typed.selectFrom('channels').select('id').where('type', '=', ROLLUP_CHANNEL_TYPE).execute();
      for (const { id } of channels) await rebuildFlowRollups(typed, id);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('flow_days').execute();
      await db.schema.dropTable('flow_hours').execute();
    },
  };
}
