import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from '../dialects/dialect.js';

/**
 * The webhook engine: endpoints (FlowCommand webhooks and Fluent subscriptions alike) and
 * their deliveries. A delivery row is written in the same transaction as the data it reports
 * (the outbox), so no committed reading misses its event and no rolled-back one has one.
 */
export function webhooks(dialect: StoreDialect) {
  const id = dialect.idType;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
        // `flowcommand` (POST /api/v1/webhooks/) or `fluent` (a subscription).
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        // AES-256-GCM under the server's SECRET_KEY: the secret must be recoverable to sign.
        .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
        // Comma-separated event types: ping_received | data-change,alarm.
        .addColumn('event_types', 'text', (c) => c.notNull())
        // JSON arrays of ids, or null for every controller / process of the customer.
        .addColumn('controller_ids', 'text')
        .addColumn('process_ids', 'text')
        .addColumn('expires_at', 'bigint')
        .addColumn('disabled_reason', 'text')
        .addColumn('failing_since', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_endpoints_customer_idx').on('webhook_endpoints').columns(['customer_id', 'id']).execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('endpoint_id', 'bigint', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
        .addColumn('customer_id', 'bigint', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        // `webhook-id`: the same for every attempt and every re-send of this event to this endpoint.
        .addColumn('message_id', 'text', (c) => c.notNull().unique())
        .addColumn('payload', 'text', (c) => c.notNull())
        // pending → delivered | failed
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        // A worker's claim: until then no other worker takes it; after, a crashed worker's claim lapses.
        .addColumn('leased_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('first_attempt_at', 'bigint')
        .addColumn('last_attempt_at', 'bigint')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_latency_ms', 'integer')
        .addColumn('delivered_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_due_idx')
        .on('webhook_deliveries')
        .columns(['next_attempt_at'])
        .where(sql.ref('status'), '=', sql.lit('pending'))
        .execute();
      await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['endpoint_id', 'id']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('webhook_deliveries').execute();
      await db.schema.dropTable('webhook_endpoints').execute();
    },
  };
}
