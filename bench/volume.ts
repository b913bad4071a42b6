/**
 * `npm run bench volume` — issue 3: with one sensor holding a year of one-minute pings, the
 * server-side time of GET …/flow_volume/<START>/<END>/ over the whole year is within 2× of the
 * time over one day and under 5 ms median; printed next to a raw-scan baseline (every ping
 * of the range read from `readings` and integrated) measured in the same run on the same data.
 */
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.js';
import { parseIsoTime } from '../src/domain/time.js';
import { integrate, type Ping } from '../src/domain/volume.js';
import { buildApp } from '../src/http/app.js';
import { BENCH_RATE_LIMITS, fmtInt, fmtMs, INGEST_BATCH, median, percentile, table, verdict, type Log, type YearFixture } from './fixture.js';

const REQUESTS = positiveInt(process.env.BENCH_REQUESTS, 200);
const WARMUP = positiveInt(process.env.BENCH_WARMUP, 50);
/** Raw scans of a year take hundreds of ms each: fewer runs. */
const RAW_YEAR_RUNS = positiveInt(process.env.BENCH_RAW_RUNS, 10);

const TARGET_RATIO = 2;
const TARGET_YEAR_MEDIAN_MS = 5;
const TARGET_REL_DIFF = 1e-9;

interface Case {
  key: string;
  label: string;
  start: string;
  end: string;
}

/**
 * Hour-aligned bounds are the literal case: rollups only. The "cut" pair puts both
 * bounds 30 s into a one-minute segment, the worst case of the design: two partial edge
 * hours integrated from raw pings (with interpolation at the cut), whole hours up to the first
 * and from the last midnight, and whole days between.
 */
const CASES: Case[] = [
  { key: 'day', label: '1 day', start: '2025-07-01T00:00:00Z', end: '2025-07-02T00:00:00Z' },
  { key: 'year', label: '1 year', start: '2025-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z' },
  { key: 'day-cut', label: '1 day, cut bounds', start: '2025-07-01T12:00:30Z', end: '2025-07-02T12:00:30Z' },
  { key: 'year-cut', label: '1 year, cut bounds', start: '2025-01-01T00:00:30Z', end: '2025-12-31T23:59:30Z' },
];
const PAIRS: [day: string, year: string, label: string][] = [
  ['day', 'year', 'bounds on the hour'],
  ['day-cut', 'year-cut', 'bounds mid-segment'],
];

function positiveInt(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

const relDiff = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

/** The baseline: every ping of [from, to) plus its neighbours outside, read from `readings`, integrated in JS. */
async function rawScanVolume(fx: YearFixture, from: number, to: number): Promise<number> {
  const db = fx.store.kysely;
  const channel = fx.channelId;
  const [before, inside, after] = await Promise.all([
    db.selectFrom('readings').select(['time', 'value']).where('channel_id', '=', channel).where('time', '<', from).orderBy('time', 'desc').limit(1).executeTakeFirst(),
    db.selectFrom('readings').select(['time', 'value']).where('channel_id', '=', channel).where('time', '>=', from).where('time', '<', to).orderBy('time').execute(),
    db.selectFrom('readings').select(['time', 'value']).where('channel_id', '=', channel).where('time', '>=', to).orderBy('time').limit(1).executeTakeFirst(),
  ]);
  const pings: Ping[] = [];
  if (before) pings.push({ time: Number(before.time), rate: before.value });
  for (const r of inside) pings.push({ time: Number(r.time), rate: r.value });
  if (after) pings.push({ time: Number(after.time), rate: after.value });
  return integrate(pings, from, to);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export async function volumeBench(fx: YearFixture, log: Log): Promise<boolean> {
  const backend = fx.database.name;
  log(`\n== volume [${backend}]: GET /api/v1/flow_sensors/${fx.sensorId}/flow_volume/<START>/<END>/ over ${fmtInt(fx.pings)} one-minute pings`);
  log(`   ingest: ${fmtInt(fx.ingest.pingsPerSecond)} pings/s through store.ingest (${fmtInt(fx.ingest.pings)} pings in ${fx.ingest.batches} batches of up to ${fmtInt(INGEST_BATCH)}, ${fx.ingest.seconds.toFixed(1)} s, rollups maintained)`);

  const app: FastifyInstance = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', RATE_LIMITS: BENCH_RATE_LIMITS }), store: fx.store });
  await app.ready();
  const headers = { authorization: `Token ${fx.token}` };
  const api = async (c: Case): Promise<number> => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/flow_sensors/${fx.sensorId}/flow_volume/${c.start}/${c.end}/`, headers });
    if (response.statusCode !== 200) throw new Error(`flow_volume ${c.label}: HTTP ${response.statusCode} ${response.body}`);
    return (JSON.parse(response.body) as { flow_volume: number }).flow_volume;
  };

  const apiMs = new Map<string, number[]>(CASES.map((c) => [c.key, []]));
  const apiVolume = new Map<string, number>();
  const rawMs = new Map<string, number[]>(CASES.map((c) => [c.key, []]));
  const rawVolume = new Map<string, number>();
  try {
    // Server-side time through app.inject (no sockets): warm-up, then the cases round-robin so
    // that drift (GC, page cache) spreads over all of them alike.
    for (let i = 0; i < WARMUP; i++) for (const c of CASES) await api(c);
    for (let i = 0; i < REQUESTS; i++) {
      for (const c of CASES) {
        const { ms, value } = await timed(() => api(c));
        apiMs.get(c.key)!.push(ms);
        apiVolume.set(c.key, value);
      }
    }

    for (const c of CASES) {
      const from = parseIsoTime(c.start)!;
      const to = parseIsoTime(c.end)!;
      const runs = c.key.startsWith('year') ? RAW_YEAR_RUNS : REQUESTS;
      const warm = c.key.startsWith('year') ? 2 : WARMUP;
      for (let i = 0; i < warm; i++) await rawScanVolume(fx, from, to);
      for (let i = 0; i < runs; i++) {
        const { ms, value } = await timed(() => rawScanVolume(fx, from, to));
        rawMs.get(c.key)!.push(ms);
        rawVolume.set(c.key, value);
      }
    }
  } finally {
    await app.close();
  }

  const rows: string[][] = [['range', 'START → END', 'flow_volume (bbl)', 'API median', 'API p95', 'raw-scan median', 'raw/API']];
  for (const c of CASES) {
    const a = median(apiMs.get(c.key)!);
    const r = median(rawMs.get(c.key)!);
    rows.push([
      c.label,
      `${c.start} → ${c.end}`,
      apiVolume.get(c.key)!.toFixed(6),
      fmtMs(a),
      fmtMs(percentile(apiMs.get(c.key)!, 95)),
      fmtMs(r),
      `${(r / a).toFixed(1)}×`,
    ]);
  }
  log(`   ${REQUESTS} sequential requests per range after ${WARMUP} warm-up rounds; raw scan: ${REQUESTS} runs per day, ${RAW_YEAR_RUNS} per year\n`);
  log(indent(table(rows)));

  let pass = true;
  const checks: string[][] = [['target', 'measured', 'limit', 'result']];
  for (const [dayKey, yearKey, label] of PAIRS) {
    const day = median(apiMs.get(dayKey)!);
    const year = median(apiMs.get(yearKey)!);
    const ratioOk = year <= TARGET_RATIO * day;
    const fastOk = year < TARGET_YEAR_MEDIAN_MS;
    pass &&= ratioOk && fastOk;
    checks.push([`year / day median (${label})`, `${(year / day).toFixed(2)}×`, `≤ ${TARGET_RATIO}×`, verdict(ratioOk)]);
    checks.push([`year median (${label})`, fmtMs(year), `< ${TARGET_YEAR_MEDIAN_MS} ms`, verdict(fastOk)]);
  }
  for (const c of CASES) {
    const d = relDiff(apiVolume.get(c.key)!, rawVolume.get(c.key)!);
    const ok = d <= TARGET_REL_DIFF;
    pass &&= ok;
    checks.push([`API = raw scan (${c.label})`, d.toExponential(2), `≤ ${TARGET_REL_DIFF.toExponential(0)} rel.`, verdict(ok)]);
  }
  log('');
  log(indent(table(checks)));
  const year = CASES.find((c) => c.key === 'year')!;
  log(`\n   year volume: API ${apiVolume.get(year.key)!.toPrecision(17)} bbl, raw scan ${rawVolume.get(year.key)!.toPrecision(17)} bbl`);
  log(`   volume [${backend}]: ${verdict(pass)}`);
  return pass;
}

const indent = (text: string) => text.replace(/^/gm, '   ');
