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

const sqliteFactory: StoreFactory = {
  name: 'sqlite',
  skipReason: null,
  async create(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'flowline-test-'));
    const url = join(dir, 'flowline.db');
    const store = openStore(url, options);
    await store.migrate();
    return {
      store,
      url,
      drop: async () => {
        await store.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Each call creates its own database on the server named by TEST_DATABASE_URL and drops it afterwards. */
const postgresFactory: StoreFactory = {
  name: 'postgres',
  skipReason: TEST_DATABASE_URL ? null : 'TEST_DATABASE_URL is not set: PostgreSQL store tests are skipped (.ci/run sets it).',
  async create(options = {}) {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const name = `flowline_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    const store = openStore(url.toString(), { ...options, maxConnections: 5 });
    await store.migrate();
    return {
      store,
      url: url.toString(),
      drop: async () => {
        await store.close().catch(() => undefined);
        const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await cleanup.connect();
        await cleanup.query(`drop database if exists ${name} with (force)`);
        await cleanup.end();
      },
    };
  },
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
