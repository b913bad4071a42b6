import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialects/dialect.js';

/**
 * Web-app sessions (issue 19): one row per signed-in browser. Only a digest of the cookie's
 * token is kept, so a copy of the database signs nobody in. `last_used_at` drives the idle
 * limit and `expires_at` the absolute one (see src/domain/sessions.ts); deleting a row ends
 * the session on every server process at once.
 */
export function sessions(dialect: StoreDialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sessions')
        .addColumn('id', dialect.idType, (c) => dialect.idColumn(c))
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('sessions').execute();
    },
  };
}
