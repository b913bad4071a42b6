import { NO_MIGRATIONS, sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { flowVolume, getFlowSensor } from '../../src/domain/flow-sensors.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import type { StoreDialect } from '../../src/store/dialects/dialect.js';
import { postgresDialect } from '../../src/store/dialects/postgres.js';
import { sqliteDialect } from '../../src/store/dialects/sqlite.js';
import { createMigrator } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open-store.js';
import { emptyPostgresDatabase, emptySqliteFile, storeFactories } from '../helpers/stores.js';
import { createFlowSensor, DAY, expectNear, expectSameRollups, HOUR, referenceVolume, rollupRows } from './flow-helpers.js';

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

/** Every migration, in the order they apply. */
const MIGRATIONS = ['0001-initial', '0002-flow-rollups', '0003-server-alarms', '0004-webhooks', '0005-api-clients', '0006-onboarding', '0007-sessions', '0008-channel-rollups'];
const LATEST = '0008-channel-rollups';
/** Tables of 0001-initial, and those 0002-flow-rollups adds. */
const INITIAL_TABLES = ['alarms', 'channels', 'controllers', 'customers', 'facilities', 'processes', 'readings', 'users'];
const ROLLUP_TABLES = ['flow_days', 'flow_hours'];
/** 0004-webhooks. */
const WEBHOOK_TABLES = ['webhook_deliveries', 'webhook_endpoints'];
/** 0005-api-clients. */
const API_CLIENT_TABLES = ['api_access_tokens', 'api_clients'];
/** 0006-onboarding. */
const ONBOARDING_TABLES = ['ingest_keys', 'password_links'];
/** 0007-sessions. */
const SESSION_TABLES = ['sessions'];
/** 0008-channel-rollups. */
const CHANNEL_ROLLUP_TABLES = ['channel_days', 'channel_hours'];
const APP_TABLES = [...INITIAL_TABLES, ...ROLLUP_TABLES, ...WEBHOOK_TABLES, ...API_CLIENT_TABLES, ...ONBOARDING_TABLES, ...SESSION_TABLES, ...CHANNEL_ROLLUP_TABLES].sort();
const MIGRATION_TABLES = ['flowline_migrations', 'flowline_migrations_lock'];
/** Those of 0001-initial (the rollup tables of 0002 have only their primary keys). */
const INITIAL_INDEXES = [
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
/** 0003-server-alarms adds one partial unique index. */
const INDEXES_AT_0003 = [...INITIAL_INDEXES, 'alarms_one_active_server_alarm'].sort();
/** 0004-webhooks adds the endpoints' and deliveries' indexes (and a unique message id). */
const WEBHOOK_INDEXES = ['webhook_deliveries_due_idx', 'webhook_deliveries_endpoint_idx', 'webhook_endpoints_customer_idx'];
const INDEXES_AT_0004 = [...INDEXES_AT_0003, ...WEBHOOK_INDEXES].sort();
/** 0005-api-clients adds one index (and unique client ids and token digests). */
const INDEXES_AT_0005 = [...INDEXES_AT_0004, 'api_clients_customer_idx'].sort();
/** 0006-onboarding adds one index per new table (and unique link and key digests). */
const INDEXES_AT_0006 = [...INDEXES_AT_0005, 'ingest_keys_controller_idx', 'password_links_user_idx'].sort();
/** 0007-sessions adds one index (and unique token digests). */
const APP_INDEXES = [...INDEXES_AT_0006, 'sessions_user_idx'].sort();

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
      expect(store.latestMigration()).toBe(LATEST);
    });

    it('migrate() applies every migration once, in order; a second migrate() applies nothing', async () => {
      const { store } = await fresh();
      expect(await store.migrate()).toEqual(MIGRATIONS);
      expect(await store.currentMigration()).toBe(store.latestMigration());
      expect(await store.migrate()).toEqual([]);
      expect(await store.currentMigration()).toBe(LATEST);
      expect(await appliedMigrations(store.kysely as Kysely<unknown>)).toEqual(MIGRATIONS);
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
      // ... and so can a flow sensor, whose ingest writes the rollup tables of 0002-flow-rollups.
      const sensor = await createFlowSensor(store, 'Fresh Flow');
      const hour = 1_764_000_000_000 - (1_764_000_000_000 % HOUR);
      const flow = [
        { channelId: sensor.channel.id, time: hour, value: 2400 },
        { channelId: sensor.channel.id, time: hour + HOUR, value: 2400 },
      ];
      expect((await store.ingest(sensor.controller.id, { readings: flow, alarms: [] }, hour + HOUR)).stored).toHaveLength(2);
      const rollups = await rollupRows(store, sensor.channel.id);
      expectSameRollups(
        rollups.hours,
        [
          { start: hour, volume: 100, pings: 1 },
          { start: hour + HOUR, volume: 0, pings: 1 },
        ],
        'flow_hours',
      );
      expectSameRollups(rollups.days, [{ start: hour - (hour % DAY), volume: 100, pings: 2 }], 'flow_days');
    });

    it('migrating down one step at a time undoes 0008, 0007, 0006, 0005, 0004, 0003, 0002 then 0001, leaving an empty database; migrating up again works', async () => {
      const { store, dialect } = await fresh();
      await store.migrate();
      const db = store.kysely as Kysely<unknown>;
      const kept = await store.createCustomer(PLATFORM_SCOPE, 'Will be dropped with 0001');
      const migrator = createMigrator(db, dialect);

      const channelRollupsDown = await migrator.migrateDown();
      expect(channelRollupsDown.error).toBeUndefined();
      expect(channelRollupsDown.results).toEqual([{ migrationName: '0008-channel-rollups', direction: 'Down', status: 'Success' }]);
      expect(await tables(db, dialect)).toEqual([...INITIAL_TABLES, ...ROLLUP_TABLES, ...WEBHOOK_TABLES, ...API_CLIENT_TABLES, ...ONBOARDING_TABLES, ...SESSION_TABLES, ...MIGRATION_TABLES].sort());

      const sessionsDown = await migrator.migrateDown();
      expect(sessionsDown.error).toBeUndefined();
      expect(sessionsDown.results).toEqual([{ migrationName: '0007-sessions', direction: 'Down', status: 'Success' }]);
      expect(await tables(db, dialect)).toEqual([...INITIAL_TABLES, ...ROLLUP_TABLES, ...WEBHOOK_TABLES, ...API_CLIENT_TABLES, ...ONBOARDING_TABLES, ...MIGRATION_TABLES].sort());
      expect(await indexes(db, dialect)).toEqual(INDEXES_AT_0006);

      const onboardingDown = await migrator.migrateDown();
      expect(onboardingDown.error).toBeUndefined();
      expect(onboardingDown.results).toEqual([{ migrationName: '0006-onboarding', direction: 'Down', status: 'Success' }]);
      expect(await tables(db, dialect)).toEqual([...INITIAL_TABLES, ...ROLLUP_TABLES, ...WEBHOOK_TABLES, ...API_CLIENT_TABLES, ...MIGRATION_TABLES].sort());
      expect(await indexes(db, dialect)).toEqual(INDEXES_AT_0005);

      const clientsDown = await migrator.migrateDown();
      expect(clientsDown.error).toBeUndefined();
      expect(clientsDown.results).toEqual([{ migrationName: '0005-api-clients', direction: 'Down', status: 'Success' }]);
      expect(await tables(db, dialect)).toEqual([...INITIAL_TABLES, ...ROLLUP_TABLES, ...WEBHOOK_TABLES, ...MIGRATION_TABLES].sort());
      expect(await indexes(db, dialect)).toEqual(INDEXES_AT_0004);

      const webhooksDown = await migrator.migrateDown();
      expect(webhooksDown.error).toBeUndefined();
      expect(webhooksDown.results).toEqual([{ migrationName: '0004-webhooks', direction: 'Down', status: 'Success' }]);
      expect(await tables(db, dialect)).toEqual([...INITIAL_TABLES, ...ROLLUP_TABLES, ...MIGRATION_TABLES].sort());
      expect(await indexes(db, dialect)).toEqual(INDEXES_AT_0003);

      // Next: only the server-alarm index goes.
      const zeroth = await migrator.migrateDown();
      expect(zeroth.error).toBeUndefined();
      expect(zeroth.results).toEqual([{ migrationName: '0003-server-alarms', direction: 'Down', status: 'Success' }]);
      expect(await tables(db, dialect)).toEqual([...INITIAL_TABLES, ...ROLLUP_TABLES, ...MIGRATION_TABLES].sort());
      expect(await indexes(db, dialect)).toEqual(INITIAL_INDEXES);

      // Next: only the rollup tables go; 0001's tables and their data stay.
      const first = await migrator.migrateDown();
      expect(first.error).toBeUndefined();
      expect(first.results).toEqual([{ migrationName: '0002-flow-rollups', direction: 'Down', status: 'Success' }]);
      expect(await tables(db, dialect)).toEqual([...INITIAL_TABLES, ...MIGRATION_TABLES].sort());
      expect(await indexes(db, dialect)).toEqual(INITIAL_INDEXES);
      expect(await appliedMigrations(db)).toEqual(['0001-initial']);
      expect(await store.currentMigration()).toBe('0001-initial');
      // (Without 0006 the customer has no disabled_at column.)
      expect((await store.listCustomers(PLATFORM_SCOPE)).map((c) => [c.id, c.name])).toEqual([[kept.id, kept.name]]);

      // Second step: everything else.
      const second = await migrator.migrateDown();
      expect(second.error).toBeUndefined();
      expect(second.results).toEqual([{ migrationName: '0001-initial', direction: 'Down', status: 'Success' }]);
      // Only Kysely's own bookkeeping tables remain, and they record nothing as applied.
      expect(await tables(db, dialect)).toEqual(MIGRATION_TABLES);
      expect(await indexes(db, dialect)).toEqual([]);
      expect(await appliedMigrations(db)).toEqual([]);
      expect(await store.currentMigration()).toBeNull();

      expect(await store.migrate()).toEqual(MIGRATIONS);
      expect(await store.currentMigration()).toBe(LATEST);
      expect(await tables(db, dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
      expect(await indexes(db, dialect)).toEqual(APP_INDEXES);
      // The data went with the tables; ids start afresh in a usable schema.
      expect(await store.listCustomers(PLATFORM_SCOPE)).toEqual([]);
      const again = await store.createCustomer(PLATFORM_SCOPE, 'After re-up');
      expect(await store.listCustomers(PLATFORM_SCOPE)).toEqual([again]);
    });

    it('migrateTo(NO_MIGRATIONS) undoes every migration in one call, newest first', async () => {
      const { store, dialect } = await fresh();
      await store.migrate();
      const db = store.kysely as Kysely<unknown>;
      await createFlowSensor(store, 'Will be dropped');

      const down = await createMigrator(db, dialect).migrateTo(NO_MIGRATIONS);
      expect(down.error).toBeUndefined();
      expect(down.results).toEqual([
        { migrationName: '0008-channel-rollups', direction: 'Down', status: 'Success' },
        { migrationName: '0007-sessions', direction: 'Down', status: 'Success' },
        { migrationName: '0006-onboarding', direction: 'Down', status: 'Success' },
        { migrationName: '0005-api-clients', direction: 'Down', status: 'Success' },
        { migrationName: '0004-webhooks', direction: 'Down', status: 'Success' },
        { migrationName: '0003-server-alarms', direction: 'Down', status: 'Success' },
        { migrationName: '0002-flow-rollups', direction: 'Down', status: 'Success' },
        { migrationName: '0001-initial', direction: 'Down', status: 'Success' },
      ]);
      expect(await tables(db, dialect)).toEqual(MIGRATION_TABLES);
      expect(await indexes(db, dialect)).toEqual([]);
      expect(await appliedMigrations(db)).toEqual([]);
      expect(await store.currentMigration()).toBeNull();

      expect(await store.migrate()).toEqual(MIGRATIONS);
      expect(await tables(db, dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
    });

    it('one more migrateDown() on an empty database does nothing', async () => {
      const { store, dialect } = await fresh();
      await store.migrate();
      const migrator = createMigrator(store.kysely as Kysely<unknown>, dialect);
      for (let i = 0; i < MIGRATIONS.length; i++) await migrator.migrateDown();
      const again = await migrator.migrateDown();
      expect(again.error).toBeUndefined();
      expect(again.results).toEqual([]);
      expect(await tables(store.kysely as Kysely<unknown>, dialect)).toEqual(MIGRATION_TABLES);
    });

    it('a database at 0001-initial is brought up to date by applying the later migrations alone, keeping its data', async () => {
      const { store, dialect } = await fresh();
      const db = store.kysely as Kysely<unknown>;
      const to0001 = await createMigrator(db, dialect).migrateTo('0001-initial');
      expect(to0001.error).toBeUndefined();
      expect(to0001.results).toEqual([{ migrationName: '0001-initial', direction: 'Up', status: 'Success' }]);
      expect(await store.currentMigration()).toBe('0001-initial');
      expect(await tables(db, dialect)).toEqual([...INITIAL_TABLES, ...MIGRATION_TABLES].sort());
      const customer = await store.createCustomer(PLATFORM_SCOPE, 'Before 0002');

      expect(await store.migrate()).toEqual(MIGRATIONS.slice(1));
      expect(await store.currentMigration()).toBe(LATEST);
      expect(await appliedMigrations(db)).toEqual(MIGRATIONS);
      expect(await tables(db, dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
      expect(await store.listCustomers(PLATFORM_SCOPE)).toEqual([{ ...customer, disabledAt: null }]);
    });

    // Before 0006 a controller held one ingest key in `controllers.ingest_key_hash`, and a user
    // without a customer was an operator by implication. Both must keep working after it.
    it('upgrading a 0005 database keeps ingest keys working and makes customer-less users operators', async () => {
      const { store, dialect } = await fresh();
      const db = store.kysely as Kysely<unknown>;
      await createMigrator(db, dialect).migrateTo('0005-api-clients');
      const customer = await sql<{ id: number }>`insert into customers (name, created_at) values ('Legacy', 1) returning id`.execute(db);
      const customerId = Number(customer.rows[0]!.id);
      const facility = await sql<{ id: number }>`insert into facilities (customer_id, name, time_zone, created_at) values (${customerId}, 'Plant', 'UTC', 1) returning id`.execute(db);
      await sql`insert into controllers (customer_id, facility_id, serial_number, model, name, ingest_key_hash, created_at)
        values (${customerId}, ${Number(facility.rows[0]!.id)}, '1234567890', 'W900', 'Tower', 'legacy-key-digest', 1)`.execute(db);
      await sql`insert into users (customer_id, email, name, role, password_hash, created_at) values (null, 'ops@example.com', 'Ops', 'admin', 'h', 1)`.execute(db);
      await sql`insert into users (customer_id, email, name, role, password_hash, created_at) values (${customerId}, 'u@example.com', 'U', 'user', 'h', 1)`.execute(db);

      expect(await store.migrate()).toEqual(MIGRATIONS.slice(MIGRATIONS.indexOf('0006-onboarding')));
      expect(await store.findControllerByIngestKeyHash('legacy-key-digest', 2)).toMatchObject({ serialNumber: '1234567890' });
      const [key] = await store.listIngestKeys(PLATFORM_SCOPE, (await store.getControllerBySerial(PLATFORM_SCOPE, '1234567890'))!.id);
      expect(key).toMatchObject({ customerId, expiresAt: null, revokedAt: null });
      expect(await store.findUserCredentialsByEmail('ops@example.com')).toMatchObject({ operator: true, customerId: null, disabledAt: null });
      expect(await store.findUserCredentialsByEmail('u@example.com')).toMatchObject({ operator: false, customerId });

      // And back down: the controller holds its key again.
      await createMigrator(db, dialect).migrateTo('0005-api-clients');
      const row = await sql<{ ingest_key_hash: string | null }>`select ingest_key_hash from controllers`.execute(db);
      expect(row.rows).toEqual([{ ingest_key_hash: 'legacy-key-digest' }]);
    });

    // Releases before 0002 already stored flowrate readings (the demo's flow sensors, any
    // device with a flowrate input) without rollups. Volume queries read whole hours and days
    // from the rollups only, so 0002 must build them for the readings already there.
    it('upgrading a 0001 database that holds flowrate readings builds their rollups', async () => {
      const { store, dialect } = await fresh();
      const db = store.kysely as Kysely<unknown>;
      await createMigrator(db, dialect).migrateTo('0001-initial');
      const sensor = await createFlowSensor(store, 'Legacy Flow');
      // Written as the previous release's ingest wrote them: straight into readings.
      const t0 = Date.parse('2026-03-01T00:00:00Z');
      const series = Array.from({ length: 3 * 24 * 4 + 1 }, (_, i) => ({ time: t0 + i * 15 * 60_000, rate: 1000 + (i % 7) * 100 }));
      await store.kysely
        .insertInto('readings')
        .values(series.map((p) => ({ channel_id: sensor.channel.id, time: p.time, value: p.rate })))
        .execute();

      expect(await store.migrate()).toEqual(MIGRATIONS.slice(1));
      const rollups = await rollupRows(store, sensor.channel.id);
      expect(rollups.hours.map((h) => h.pings).reduce((a, b) => a + b, 0), 'pings counted in flow_hours').toBe(series.length);
      expect(rollups.days.map((d) => [d.start, d.pings])).toEqual([
        [t0, 96],
        [t0 + DAY, 96],
        [t0 + 2 * DAY, 96],
        [t0 + 3 * DAY, 1],
      ]);
      const flowSensor = await getFlowSensor(store, PLATFORM_SCOPE, sensor.controller.id);
      for (const [from, to] of [
        [t0, t0 + 3 * DAY],
        [t0 + 90 * 60_000, t0 + 2 * DAY + 5 * HOUR],
      ] as const) {
        expectNear(await flowVolume(store, PLATFORM_SCOPE, flowSensor, from, to), referenceVolume(series, from, to), `flowVolume over ${from}..${to}`);
      }
    });

    it('a migrated database opened again by another store is already current', async () => {
      const db = await fresh();
      await db.store.migrate();
      await db.store.createCustomer(PLATFORM_SCOPE, 'Kept');
      const other = db.reopen();
      expect(await other.currentMigration()).toBe(LATEST);
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
      expect(await store.migrate()).toEqual(MIGRATIONS);
      expect(await tables(db, dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
    });

    it('a failure in 0002 undoes the whole run: 0001-initial, applied in the same run, is rolled back too', async () => {
      const { store, dialect } = await fresh();
      const db = store.kysely as Kysely<unknown>;
      // The LAST table 0002-flow-rollups creates: 0001 and the first table of 0002 succeed first.
      await sql`create table flow_days (stray integer)`.execute(db);
      await expect(store.migrate()).rejects.toThrow(/flow_days/);
      expect(await store.currentMigration()).toBeNull();
      expect(await appliedMigrations(db)).toEqual([]);
      expect((await tables(db, dialect)).filter((t) => APP_TABLES.includes(t))).toEqual(['flow_days']);
      expect(await indexes(db, dialect)).toEqual([]);

      await sql`drop table flow_days`.execute(db);
      expect(await store.migrate()).toEqual(MIGRATIONS);
      expect(await tables(db, dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
    });

    it('a failure in 0002 on a database at 0001 leaves it at 0001 with its data', async () => {
      const { store, dialect } = await fresh();
      const db = store.kysely as Kysely<unknown>;
      await createMigrator(db, dialect).migrateTo('0001-initial');
      const customer = await store.createCustomer(PLATFORM_SCOPE, 'Survives');
      await sql`create table flow_days (stray integer)`.execute(db);
      await expect(store.migrate()).rejects.toThrow(/flow_days/);
      expect(await store.currentMigration()).toBe('0001-initial');
      expect(await appliedMigrations(db)).toEqual(['0001-initial']);
      // flow_hours, created before the failure, is gone again.
      expect(await tables(db, dialect)).toEqual([...INITIAL_TABLES, 'flow_days', ...MIGRATION_TABLES].sort());
      expect(await store.listCustomers(PLATFORM_SCOPE)).toEqual([customer]);

      await sql`drop table flow_days`.execute(db);
      expect(await store.migrate()).toEqual(MIGRATIONS.slice(1));
      expect(await tables(db, dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
    });

    // Several server processes may start at once on one PostgreSQL database. (Two SQLite
    // connections in ONE process cannot take turns: better-sqlite3 blocks the thread.)
    it.skipIf(factory.name !== 'postgres')('two stores migrating the same empty database at once apply each migration exactly once', async () => {
      const db = await fresh();
      const other = db.reopen();
      const results = await Promise.all([db.store.migrate(), other.migrate()]);
      // One store applies both (one run, one lock); the other finds nothing left to do.
      expect(results.flat()).toEqual(MIGRATIONS);
      expect(results.map((r) => r.length).sort()).toEqual([0, MIGRATIONS.length]);
      expect(await appliedMigrations(db.store.kysely as Kysely<unknown>)).toEqual(MIGRATIONS);
      expect(await tables(db.store.kysely as Kysely<unknown>, db.dialect)).toEqual([...APP_TABLES, ...MIGRATION_TABLES].sort());
    });
  });
}
