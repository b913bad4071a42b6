import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialects/dialect.js';

/**
 * API clients of the Fluxx face (OAuth2 client credentials): an id and a secret made by an
 * admin for one customer, and the two-hour access tokens they exchange them for. Secrets and
 * tokens are random and long, so a SHA-256 digest (looked up by index) is what is stored.
 */
export function apiClients(dialect: StoreDialect) {
  const id = dialect.idType;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('api_clients')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull().unique())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        // The rights its tokens carry: `user` or `admin`.
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_by', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('api_clients_customer_idx').on('api_clients').columns(['customer_id', 'id']).execute();
      await db.schema
        .createTable('api_access_tokens')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('api_client_id', 'bigint', (c) => c.notNull().references('api_clients.id').onDelete('cascade'))
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('api_access_tokens').execute();
      await db.schema.dropTable('api_clients').execute();
    },
  };
}
