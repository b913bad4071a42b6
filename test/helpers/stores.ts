import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.js';

export type TestStore = ReturnType<typeof openStore>;

export interface StoreFactory {
  name: 'sqlite' | 'postgres';
  /** Null when this backend cannot run here; the reason is printed once and its suites are skipped. */
  skipReason: string | null;
  /** A fresh, migrated store in its own file or database; `drop()` removes it. */
  create(options?: { now?: () => number }): Promise<{ store: TestStore; url: string; drop: () => Promise<void> }>;
}

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export interface EmptyDatabase {
  url: string;
  /** Removes the file or database; close every store opened on it first. */
  drop(): Promise<void>;
}

/** A fresh SQLite file in its own temporary folder. */
export function emptySqliteFile(prefix = 'flowline-test-'): EmptyDatabase {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { url: join(dir, 'flowline.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh database on the server named by TEST_DATABASE_URL, dropped (forcefully) by `drop`. */
export async function emptyPostgresDatabase(prefix = 'flowline_test'): Promise<EmptyDatabase> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

async function migratedStore(database: EmptyDatabase, options: { now?: () => number; maxConnections?: number }) {
  const store = openStore(database.url, options);
  await store.migrate();
  return {
    store,
    url: database.url,
    drop: async () => {
      await store.close().catch(() => undefined);
      await database.drop();
    },
  };
}

const sqliteFactory: StoreFactory = {
  name: 'sqlite',
  skipReason: null,
  create: (options = {}) => migratedStore(emptySqliteFile(), options),
};

/** Each call creates its own database on the server named by TEST_DATABASE_URL and drops it afterwards. */
const postgresFactory: StoreFactory = {
  name: 'postgres',
  skipReason: TEST_DATABASE_URL ? null : 'TEST_DATABASE_URL is not set: PostgreSQL store tests are skipped (.ci/run sets it).',
  create: async (options = {}) => migratedStore(await emptyPostgresDatabase(), { ...options, maxConnections: 5 }),
};

const announced = new Set<string>();

/** Every backend, filtered by `STORES=sqlite,postgres` when set (kysely's DIALECTS). */
export function storeFactories(): StoreFactory[] {
  const wanted = process.env.STORES?.split(',').map((s) => s.trim());
  const all = [sqliteFactory, postgresFactory].filter((f) => !wanted || wanted.includes(f.name));
  for (const f of all) {
    if (f.skipReason && !announced.has(f.name)) {
      announced.add(f.name);
      console.warn(`[flowline tests] ${f.skipReason}`);
    }
  }
  return all;
}
