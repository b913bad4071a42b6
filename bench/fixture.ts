/**
 * The data every bench runs on: a fresh, migrated store (an SQLite file, and PostgreSQL when
 * BENCH_DATABASE_URL is set) holding one flow sensor with ONE YEAR of one-minute pings,
 * written through `store.ingest` — the real ingest path, which keeps the hourly and daily
 * volume rollups up to date — plus a user with an API token to call the API with.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createAccount, issueApiToken } from '../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../src/domain/scope.js';
import { systemClock } from '../src/domain/time.js';
import { registerFlowSensor } from '../src/domain/flow-sensors.js';
import { openStore } from '../src/store/open-store.js';
import type { IngestReading } from '../src/store/store.js';
import { prng } from '../test/helpers/prng.js';

export type BenchStore = ReturnType<typeof openStore>;

export interface BenchDatabase {
  name: 'sqlite' | 'postgres';
  /** What openStore (and DATABASE_URL) takes. */
  url: string;
  /** Removes the file or database; close every store opened on it first. */
  drop(): Promise<void>;
}

export interface BackendFactory {
  name: BenchDatabase['name'];
  create(): Promise<BenchDatabase>;
}

/** SQLite always; PostgreSQL too when BENCH_DATABASE_URL names a server (its own database is created and dropped). */
export function backendFactories(): BackendFactory[] {
  const factories: BackendFactory[] = [{ name: 'sqlite', create: async () => sqliteDatabase() }];
  const pgUrl = process.env.BENCH_DATABASE_URL;
  if (pgUrl) factories.push({ name: 'postgres', create: () => postgresDatabase(pgUrl) });
  return factories;
}

function sqliteDatabase(): BenchDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'flowline-bench-'));
  return { name: 'sqlite', url: join(dir, 'flowline.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function postgresDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `flowline_bench_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    url: url.toString(),
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

export const MINUTE = 60_000;
/** 2025 is not a leap year: 365 days of one-minute pings. */
export const YEAR_START = Date.parse('2025-01-01T00:00:00Z');
export const YEAR_END = Date.parse('2026-01-01T00:00:00Z');
export const YEAR_PINGS = (YEAR_END - YEAR_START) / MINUTE; // 525,600
export const INGEST_BATCH = 10_000;
/** The fixture's user (role user), for benches that sign in as a person. */
export const BENCH_USER = { email: 'bench@bench-midstream.example', password: 'bench-user-password' } as const;

export interface YearFixture {
  database: BenchDatabase;
  store: BenchStore;
  sensorId: number;
  channelId: number;
  /** `Authorization: Token <token>` for the sensor's customer. */
  token: string;
  pings: number;
  ingest: { pings: number; batches: number; seconds: number; pingsPerSecond: number };
  /** Closes the store and drops the database. */
  close(): Promise<void>;
}


/**
 * A plausible flowrate in bbl/day: a daily cycle, a weekly one, noise, and the pump off for
 * 20 minutes every 50 hours. One decimal, as the FlowCommand document's examples show.
 */
function flowrateSeries(): (time: number) => number {
  const random = prng(20_250_101);
  const day = 86_400_000;
  return (time) => {
    if (Math.floor(time / MINUTE) % 3000 < 20) return 0;
    const daily = 400 * Math.sin((2 * Math.PI * (time % day)) / day);
    const weekly = 80 * Math.sin((2 * Math.PI * (time % (7 * day))) / (7 * day));
    return Math.round((1200 + daily + weekly + (random() - 0.5) * 40) * 10) / 10;
  };
}

export type Log = (line: string) => void;

export async function buildYearFixture(factory: BackendFactory, log: Log): Promise<YearFixture> {
  const database = await factory.create();
  const store = openStore(database.url, database.name === 'postgres' ? { maxConnections: 10 } : {});
  const close = async () => {
    await store.close().catch(() => undefined);
    await database.drop();
  };
  try {
    await store.migrate();
    const customer = await store.createCustomer(PLATFORM_SCOPE, 'Bench Midstream');
    const facility = await store.createFacility(PLATFORM_SCOPE, {
      customerId: customer.id,
      name: 'Bench Gathering Station',
      latitude: 31.9686,
      longitude: -99.9018,
      timeZone: 'America/Chicago',
    });
    const { controller, channel } = await registerFlowSensor(store, PLATFORM_SCOPE, {
      facilityId: facility.id,
      serialNumber: '4000000001',
      name: 'Bench Flow Sensor',
      pipeDiameter: 4,
      activatedAt: YEAR_START,
      tag: 'bench',
      processName: 'Produced Water',
    });
    const user = await createAccount(store, PLATFORM_SCOPE, {
      customerId: customer.id,
      email: BENCH_USER.email,
      name: 'Bench User',
      role: 'user',
      password: BENCH_USER.password,
    });
    const { token } = await issueApiToken(store, user.id, systemClock);

    const rate = flowrateSeries();
    const progress = progressLine(YEAR_PINGS);
    const started = performance.now();
    let stored = 0;
    let batches = 0;
    for (let first = 0; first < YEAR_PINGS; first += INGEST_BATCH) {
      const readings: IngestReading[] = [];
      const last = Math.min(first + INGEST_BATCH, YEAR_PINGS);
      for (let i = first; i < last; i++) {
        const time = YEAR_START + i * MINUTE;
        readings.push({ channelId: channel.id, time, value: rate(time) });
      }
      const outcome = await store.ingest(controller.id, { readings, alarms: [] }, readings.at(-1)!.time + 5_000);
      stored += outcome.stored.length;
      batches += 1;
      progress(stored, performance.now() - started);
    }
    const seconds = (performance.now() - started) / 1000;
    progress.done();
    if (stored !== YEAR_PINGS) throw new Error(`ingest stored ${stored} pings, expected ${YEAR_PINGS}`);
    log(`[${database.name}] ingested ${fmtInt(stored)} pings in ${batches} batches of up to ${fmtInt(INGEST_BATCH)} in ${seconds.toFixed(1)} s: ${fmtInt(stored / seconds)} pings/s (with hourly/daily rollups)`);
    return {
      database,
      store,
      sensorId: controller.id,
      channelId: channel.id,
      token,
      pings: stored,
      ingest: { pings: stored, batches, seconds, pingsPerSecond: stored / seconds },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A progress line on stderr: rewritten in place on a terminal, every 10% otherwise. */
function progressLine(total: number): ((done: number, ms: number) => void) & { done(): void } {
  const tty = process.stderr.isTTY === true;
  let lastDecile = -1;
  const update = (done: number, ms: number) => {
    const percent = (done / total) * 100;
    const line = `  ingest ${fmtInt(done).padStart(7)}/${fmtInt(total)} pings (${percent.toFixed(0).padStart(3)}%) ${fmtInt(done / (ms / 1000))} pings/s`;
    if (tty) process.stderr.write(`\r${line}`);
    else if (Math.floor(percent / 10) > lastDecile) {
      lastDecile = Math.floor(percent / 10);
      process.stderr.write(`${line}\n`);
    }
  };
  return Object.assign(update, { done: () => void (tty && process.stderr.write('\n')) });
}

// --- small helpers shared by the benches ---------------------------------------------------

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(3)} ms` : ms < 100 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

/** Left-aligned first column, right-aligned others. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/**
 * The benches drive one user far past any real budget; the limiter still runs (its cost is
 * part of what is measured), with a ceiling the load never reaches.
 */
export const BENCH_RATE_LIMITS = 'flowcommand.default=999999999/1m,flowline.default=999999999/1m,fluent.default=999999999/1m';
