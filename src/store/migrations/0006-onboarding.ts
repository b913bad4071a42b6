import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from '../dialects/dialect.js';

/**
 * Onboarding and accounts (issue 18):
 * - customers and users can be disabled (their data stays; every credential stops at once);
 * - platform operators are an explicit flag, no longer implied by a user without a customer
 *   (existing such users become operators, so nobody loses access in the upgrade);
 * - one-time set-password links (invitations and resets), stored as digests;
 * - ingest keys move to their own table, so that a rotation can leave the old key working
 *   for an overlap while the device in the field is updated. `controllers.ingest_key_hash`
 *   is emptied, not dropped: SQLite cannot drop a UNIQUE column.
 */
export function onboarding(dialect: StoreDialect) {
  const id = dialect.idType;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('customers').addColumn('disabled_at', 'bigint').execute();
      await db.schema.alterTable('users').addColumn('disabled_at', 'bigint').execute();
      await db.schema.alterTable('users').addColumn('operator', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await sql`update users set operator = 1 where customer_id is null`.execute(db);

      await db.schema
        .createTable('password_links')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        // `invite` or `reset`: only the wording of the mail and the page differs.
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema.createIndex('password_links_user_idx').on('password_links').column('user_id').execute();

      await db.schema
        .createTable('ingest_keys')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
        .addColumn('controller_id', 'bigint', (c) => c.notNull().references('controllers.id').onDelete('cascade'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        // The key's first characters, so that people can tell keys apart; not a secret.
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        // Set when a rotation retires the key after an overlap.
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('ingest_keys_controller_idx').on('ingest_keys').columns(['controller_id', 'id']).execute();
      await sql`
        insert into ingest_keys (customer_id, controller_id, key_hash, prefix, created_at)
        select customer_id, id, ingest_key_hash, 'flik_', created_at from controllers where ingest_key_hash is not null
      `.execute(db);
      await sql`update controllers set ingest_key_hash = null`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`
        update controllers set ingest_key_hash = (
          select k.key_hash from ingest_keys k
          where k.controller_id = controllers.id and k.revoked_at is null and k.expires_at is null
          order by k.id desc limit 1
        )
      `.execute(db);
      await db.schema.dropTable('ingest_keys').execute();
      await db.schema.dropTable('password_links').execute();
      await db.schema.alterTable('users').dropColumn('operator').execute();
      await db.schema.alterTable('users').dropColumn('disabled_at').execute();
      await db.schema.alterTable('customers').dropColumn('disabled_at').execute();
    },
  };
}
