import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import type { StoreDialect } from '../../src/store/dialects/dialect.js';
import { postgresDialect } from '../../src/store/dialects/postgres.js';
import { sqliteDialect } from '../../src/store/dialects/sqlite.js';
import { createMigrator } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open-store.js';
import { emptyPostgresDatabase, emptySqliteFile, storeFactories } from '../helpers/stores.js';

/**
 * Migrations from an empty database, on both stores. Unlike the other contract suites these
 * tests open their store themselves (test/helpers/stores.ts hands out stores already migrated).
 */

type UnmigratedStore = ReturnType<typeof openStore>;

interface EmptyDatabase {
  store: UnmigratedStore;
  dialect: StoreDialect;
  /** Opens one more store on the same database (e.g. a second server process). */
  reopen(): UnmigratedStore;
  drop(): Promise<void>;
}

async function emptyDatabase(name: 'sqlite' | 'postgres'): Promise<EmptyDatabase> {
  const database = name === 'sqlite' ? emptySqliteFile('flowline-migrations-') : await emptyPostgresDatabase('flowline_migr');
  const opened: UnmigratedStore[] = [];
  const reopen = () => {
    const s = openStore(database.url, { maxConnections: 3 });
    opened.push(s);
    return s;
  };
  return {
    store: reopen(),
    dialect: name === 'sqlite' ? sqliteDialect : postgresDialect,
    reopen,
    drop: async () => {
      for (const s of opened) await s.close().catch(() => undefined);
      await database.drop();
    },
  };
}

const APP_TABLES = ['alarms', 'channels', 'controllers', 'customers', 'facilities', 'processes', 'readings', 'users'];
const MIGRATION_TABLES = ['flowline_migrations', 'flowline_migrations_lock'];
const APP_INDEXES = [
  'alarms_controller_idx',
  'alarms_customer_raised_idx',
  'channels_customer_idx',
  'channels_process_idx',
  'controllers_customer_idx',
  'controllers_facility_idx',
  'facilities_customer_idx',
  'processes_controller_idx',
  'processes_customer_idx',
  'readings_channel_time_key',
  'users_customer_idx',
];

async function tables(db: Kysely<unknown>, dialect: StoreDialect): Promise<string[]> {
  const result =
    dialect.name === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db);
  return result.rows.map((r) => r.name).sort();
}

/** Named indexes created by the migrations (not the implicit ones behind primary keys and UNIQUE columns). */
async function indexes(db: Kysely<unknown>, dialect: StoreDialect): Promise<string[]> {
  const result =
    dialect.name === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'index' and sql is not null`.execute(db)
      : await sql<{ name: string }>`select indexname as name from pg_indexes
          where schemaname = current_schema() and (indexname not like '%\_pkey' and indexname not like '%\_key' or indexname = 'readings_channel_time_key')`.execute(db);
  return result.rows
    .map((r) => r.name)
    .sort();
}

async function appliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  const result = await sql<{ name: string }>`select name from flowline_migrations order by name`.execute(db);
  return result.rows.map((r) => r.name);
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: migrations from an empty database`, () => {
    let current: EmptyDatabase | undefined;
    afterEach(async () => {
      await current?.drop();
      current = undefined;
    });
    const fresh = async () => (current = await emptyDatabase(factory.name));

    it('starts empty: no tables, no current migration', async () => {
      const { store, dialect } = await fresh();
      expect(store.dialect).toBe(factory.name);
      await store.ping();
      expect(await tables(store.kysely as Kysely<unknown>, dialect)).toEqual([]);
      expect(await store.currentMigration()).toBeNull();
      expect(store.latestMigration()).toBe('0001-initial');
    });

    it('migrate() applies 0001-initial once; a second migrate() applies nothing', async () => {
      const { store } = await fresh();
      expect(await store.migrate()).toEqual(['0001-initial']);
      expect(await store.currentMigration()).toBe(store.latestMigration());
      expect(await store.migrate()).toEqual([]);
      expect(await store.currentMigration()).toBe('0001-initial');
      expect(await appliedMigrations(store.kysely as Kysely<unknown>)).toEqual(['0001-initial']);
    });

    it('creates every table and index, empty and usable', async () => {
      const { store, dialect } = await fresh();
      await store.migrate();
      const db = store.kysely as Kysely<unknown>;
      expect(await tables(db, dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
      expect(await indexes(db, dialect)).toEqual(APP_INDEXES);
      for (const table of APP_TABLES) {
        const count = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
        expect(Number(count.rows[0]?.n), table).toBe(0);
      }
      // The schema is the one the store needs: a full hierarchy can be written and read back.
      const customer = await store.createCustomer(PLATFORM_SCOPE, 'Fresh');
      const facility = await store.createFacility(PLATFORM_SCOPE, { customerId: customer.id, name: 'Plant' });
      const controller = await store.createController(PLATFORM_SCOPE, { facilityId: facility.id, serialNumber: '2000000001', model: 'W900', name: 'Tower' });
      const process = await store.createProcess(PLATFORM_SCOPE, { controllerId: controller.id, name: 'Loop' });
      const channel = await store.createChannel(PLATFORM_SCOPE, { controllerId: controller.id, processId: process.id, number: 'S11', name: 'Cond', kind: 'input', type: 'conductivity' });
      const outcome = await store.ingest(controller.id, { readings: [{ channelId: channel.id, time: 1_764_000_000_000, value: 1.5 }], alarms: [] }, 1_764_000_000_500);
      expect(outcome.stored).toHaveLength(1);
      expect(await store.countReadings(PLATFORM_SCOPE, channel.id)).toBe(1);
    });

    it('migrating down leaves an empty database, and migrating up again works', async () => {
      const { store, dialect } = await fresh();
      await store.migrate();
      const db = store.kysely as Kysely<unknown>;
      await store.createCustomer(PLATFORM_SCOPE, 'Will be dropped');

      const down = await createMigrator(db, dialect).migrateDown();
      expect(down.error).toBeUndefined();
      expect(down.results).toEqual([{ migrationName: '0001-initial', direction: 'Down', status: 'Success' }]);
      // Only Kysely's own bookkeeping tables remain, and they record nothing as applied.
      expect(await tables(db, dialect)).toEqual(MIGRATION_TABLES);
      expect(await indexes(db, dialect)).toEqual([]);
      expect(await appliedMigrations(db)).toEqual([]);
      expect(await store.currentMigration()).toBeNull();

      expect(await store.migrate()).toEqual(['0001-initial']);
      expect(await store.currentMigration()).toBe('0001-initial');
      expect(await tables(db, dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
      // The data went with the tables; ids start afresh in a usable schema.
      expect(await store.listCustomers(PLATFORM_SCOPE)).toEqual([]);
      const again = await store.createCustomer(PLATFORM_SCOPE, 'After re-up');
      expect(await store.listCustomers(PLATFORM_SCOPE)).toEqual([again]);
    });

    it('a second migrateDown() on an empty database does nothing', async () => {
      const { store, dialect } = await fresh();
      await store.migrate();
      const migrator = createMigrator(store.kysely as Kysely<unknown>, dialect);
      await migrator.migrateDown();
      const again = await migrator.migrateDown();
      expect(again.error).toBeUndefined();
      expect(again.results).toEqual([]);
      expect(await tables(store.kysely as Kysely<unknown>, dialect)).toEqual(MIGRATION_TABLES);
    });

    it('a migrated database opened again by another store is already current', async () => {
      const db = await fresh();
      await db.store.migrate();
      await db.store.createCustomer(PLATFORM_SCOPE, 'Kept');
      const other = db.reopen();
      expect(await other.currentMigration()).toBe('0001-initial');
      expect(await other.migrate()).toEqual([]);
      expect((await other.listCustomers(PLATFORM_SCOPE)).map((c) => c.name)).toEqual(['Kept']);
    });

    it('a migration that fails midway leaves nothing behind, and succeeds once the cause is gone', async () => {
      const { store, dialect } = await fresh();
      const db = store.kysely as Kysely<unknown>;
      // A stray table with the name of the LAST table 0001-initial creates: every earlier
      // CREATE TABLE succeeds, then the migration fails.
      await sql`create table users (stray integer)`.execute(db);
      await expect(store.migrate()).rejects.toThrow(/users/);
      expect(await store.currentMigration()).toBeNull();
      // All or nothing: none of the tables created before the failure survives it.
      expect((await tables(db, dialect)).filter((t) => APP_TABLES.includes(t))).toEqual(['users']);

      await sql`drop table users`.execute(db);
      expect(await store.migrate()).toEqual(['0001-initial']);
      expect(await tables(db, dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
    });

    // Several server processes may start at once on one PostgreSQL database. (Two SQLite
    // connections in ONE process cannot take turns: better-sqlite3 blocks the thread.)
    it.skipIf(factory.name !== 'postgres')('two stores migrating the same empty database at once apply 0001-initial exactly once', async () => {
      const db = await fresh();
      const other = db.reopen();
      const results = await Promise.all([db.store.migrate(), other.migrate()]);
      expect(results.flat()).toEqual(['0001-initial']);
      expect(await appliedMigrations(db.store.kysely as Kysely<unknown>)).toEqual(['0001-initial']);
      expect(await tables(db.store.kysely as Kysely<unknown>, db.dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
    });
  });
}
