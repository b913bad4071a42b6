import type { Kysely } from 'kysely';
import type { StoreDialect } from '../dialects/dialect.js';

/** Customers, their sites and devices, readings, alarms and users. */
export function initial(dialect: StoreDialect) {
  const id = dialect.idType;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('customers')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('facilities')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('address', 'text')
        .addColumn('latitude', 'double precision')
        .addColumn('longitude', 'double precision')
        .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('facilities_customer_idx').on('facilities').column('customer_id').execute();

      await db.schema
        .createTable('controllers')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
        .addColumn('facility_id', 'bigint', (c) => c.notNull().references('facilities.id').onDelete('cascade'))
        .addColumn('serial_number', 'text', (c) => c.notNull().unique())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('latitude', 'double precision')
        .addColumn('longitude', 'double precision')
        .addColumn('pipe_diameter', 'double precision')
        .addColumn('activated_at', 'bigint')
        .addColumn('tag', 'text')
        .addColumn('ingest_key_hash', 'text', (c) => c.unique())
        .addColumn('last_seen_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('controllers_customer_idx').on('controllers').columns(['customer_id', 'id']).execute();
      await db.schema.createIndex('controllers_facility_idx').on('controllers').column('facility_id').execute();

      await db.schema
        .createTable('processes')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
        .addColumn('controller_id', 'bigint', (c) => c.notNull().references('controllers.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('processes_controller_idx').on('processes').column('controller_id').execute();
      await db.schema.createIndex('processes_customer_idx').on('processes').column('customer_id').execute();

      await db.schema
        .createTable('channels')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
        .addColumn('controller_id', 'bigint', (c) => c.notNull().references('controllers.id').onDelete('cascade'))
        .addColumn('process_id', 'bigint', (c) => c.references('processes.id').onDelete('set null'))
        .addColumn('number', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('unit', 'text')
        .addColumn('latest_value', 'double precision')
        .addColumn('latest_time', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('channels_controller_number_key', ['controller_id', 'number'])
        .execute();
      await db.schema.createIndex('channels_customer_idx').on('channels').column('customer_id').execute();
      await db.schema.createIndex('channels_process_idx').on('channels').column('process_id').execute();

      await db.schema
        .createTable('readings')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('channel_id', 'bigint', (c) => c.notNull().references('channels.id').onDelete('cascade'))
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .execute();
      // Idempotent ingest (a resent reading is a no-op) and every time-range query rest on this index.
      await db.schema.createIndex('readings_channel_time_key').unique().on('readings').columns(['channel_id', 'time']).execute();

      await db.schema
        .createTable('alarms')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
        .addColumn('controller_id', 'bigint', (c) => c.notNull().references('controllers.id').onDelete('cascade'))
        .addColumn('channel_id', 'bigint', (c) => c.references('channels.id').onDelete('set null'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('code', 'integer', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('raised_at', 'bigint', (c) => c.notNull())
        .addColumn('cleared_at', 'bigint')
        .addColumn('acknowledged_at', 'bigint')
        .execute();
      await db.schema.createIndex('alarms_controller_idx').on('alarms').columns(['controller_id', 'cleared_at']).execute();
      await db.schema.createIndex('alarms_customer_raised_idx').on('alarms').columns(['customer_id', 'raised_at']).execute();

      await db.schema
        .createTable('users')
        .addColumn('id', id, (c) => dialect.idColumn(c))
        .addColumn('customer_id', 'bigint', (c) => c.references('customers.id').onDelete('cascade'))
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('api_token_hash', 'text', (c) => c.unique())
        .addColumn('api_token_created_at', 'bigint')
        .addColumn('api_terms_accepted_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_customer_idx').on('users').column('customer_id').execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['users', 'alarms', 'readings', 'channels', 'processes', 'controllers', 'facilities', 'customers']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
