import { sql, type Kysely } from 'kysely';

/**
 * At most one active server alarm (`fluent-alarm`) of each code per controller: every server
 * process checks for silent controllers, and this index makes their inserts idempotent.
 */
export function serverAlarms() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('alarms_one_active_server_alarm')
        .unique()
        .on('alarms')
        .columns(['controller_id', 'code'])
        .where(sql.ref('type'), '=', sql.lit('fluent-alarm'))
        .where(sql.ref('cleared_at'), 'is', null)
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('alarms_one_active_server_alarm').execute();
    },
  };
}
