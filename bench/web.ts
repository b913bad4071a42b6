/**
 * `npm run bench web` — issue 19's speed targets, on the year-of-pings fixture:
 *  (a) GET /api/flowline/v1/channels/<id>/series over the whole year at width 1000, at the
 *      server (app.inject): median ≤ 50 ms and ≤ 1/10 of reading that year's raw rows (the
 *      baseline, measured in the same run on the same data); payload bytes;
 *  (b) headless Chromium: /app/controllers/<id>?range=1y, from navigation start to the page's
 *      performance.mark('flowline:chart-drawn'): median ≤ 1 s over fresh browser contexts;
 *  (c) the initial JavaScript of web/dist (index.html's entry script and its modulepreloads),
 *      gzipped: ≤ 250 KB.
 * Parts (b) needs the controller page and sign-in; while the web app has neither it says so
 * and does not fail.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { chromiumSkipReason, launchChromium } from '../test/browser/chromium.js';
import { BENCH_RATE_LIMITS, BENCH_USER, fmtInt, fmtMs, median, percentile, table, verdict, YEAR_END, YEAR_START, type Log, type YearFixture } from './fixture.js';

const REQUESTS = positiveInt(process.env.BENCH_REQUESTS, 200);
const WARMUP = positiveInt(process.env.BENCH_WARMUP, 30);
const RAW_RUNS = positiveInt(process.env.BENCH_RAW_RUNS, 10);
const PAGE_LOADS = positiveInt(process.env.BENCH_PAGE_LOADS, 5);

const TARGET_SERIES_MS = 50;
const TARGET_RAW_FACTOR = 10;
const TARGET_CHART_MS = 1000;
const TARGET_INITIAL_JS_BYTES = 250 * 1024;
/** Written by the chart component after its first draw with data (docs/web.md). */
const CHART_MARK = 'flowline:chart-drawn';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WEB_DIST = join(ROOT, 'web/dist');

function positiveInt(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

const indent = (text: string) => text.replace(/^/gm, '   ');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

interface Check {
  target: string;
  measured: string;
  limit: string;
  /** null: not measured (skipped), which does not fail the bench. */
  pass: boolean | null;
}

export async function webBench(fx: YearFixture, log: Log): Promise<boolean> {
  const backend = fx.database.name;
  log(`\n== web [${backend}]: chart series over ${fmtInt(fx.pings)} one-minute readings, the controller page in Chromium, the initial JavaScript`);
  log(`   ingest: ${fmtInt(fx.ingest.pingsPerSecond)} readings/s through store.ingest (${fx.ingest.seconds.toFixed(1)} s; flow and channel rollups maintained)`);
  const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', RATE_LIMITS: BENCH_RATE_LIMITS }), store: fx.store });
  await app.ready();
  const checks: Check[] = [];
  try {
    checks.push(...(await seriesPart(app, fx, log)));
    checks.push(await chartPart(app, fx, log));
  } finally {
    await app.close();
  }
  checks.push(initialJsPart(log));

  log('');
  log(indent(table([['target', 'measured', 'limit', 'result'], ...checks.map((c) => [c.target, c.measured, c.limit, c.pass === null ? 'SKIPPED' : verdict(c.pass)])])));
  const pass = checks.every((c) => c.pass !== false);
  log(`   web [${backend}]: ${verdict(pass)}`);
  return pass;
}

// --- (a) the series endpoint vs raw rows ----------------------------------------------------

const iso = (ms: number) => new Date(ms).toISOString();

async function seriesPart(app: FastifyInstance, fx: YearFixture, log: Log): Promise<Check[]> {
  const headers = { authorization: `Token ${fx.token}` };
  const cases = [
    { label: '1 year, width 1000', from: YEAR_START, to: YEAR_END, width: 1000 },
    { label: '30 days, width 1000', from: Date.parse('2025-06-01T00:00:00Z'), to: Date.parse('2025-07-01T00:00:00Z'), width: 1000 },
    { label: '7 days, width 1000', from: Date.parse('2025-06-01T00:00:00Z'), to: Date.parse('2025-06-08T00:00:00Z'), width: 1000 },
    { label: '24 hours, width 1000', from: Date.parse('2025-06-01T00:00:00Z'), to: Date.parse('2025-06-02T00:00:00Z'), width: 1000 },
  ];
  const call = async (c: (typeof cases)[number]) => {
    const url = `/api/flowline/v1/channels/${fx.channelId}/series?from=${iso(c.from)}&to=${iso(c.to)}&width=${c.width}`;
    const res = await app.inject({ method: 'GET', url, headers });
    if (res.statusCode !== 200) throw new Error(`series ${c.label}: HTTP ${res.statusCode} ${res.body}`);
    return res;
  };
  const raw = (from: number, to: number) =>
    fx.store.kysely.selectFrom('readings').select(['time', 'value']).where('channel_id', '=', fx.channelId).where('time', '>=', from).where('time', '<', to).orderBy('time').execute();

  const samples = cases.map(() => [] as number[]);
  for (let i = 0; i < WARMUP; i++) for (const c of cases) await call(c);
  for (let i = 0; i < REQUESTS; i++) {
    for (const [k, c] of cases.entries()) samples[k]!.push((await timed(() => call(c))).ms);
  }
  const year = cases[0]!;
  const body = (await call(year)).body;
  const series = JSON.parse(body) as { interval: number; t: number[]; count: number[] };
  const covered = series.count.reduce((a, b) => a + b, 0);
  if (covered !== fx.pings) throw new Error(`the year's series counts ${covered} readings, the fixture holds ${fx.pings}`);

  await raw(year.from, year.to);
  const rawMs: number[] = [];
  let rows = 0;
  for (let i = 0; i < RAW_RUNS; i++) {
    const { ms, value } = await timed(() => raw(year.from, year.to));
    rawMs.push(ms);
    rows = value.length;
  }

  const lines = [['range', 'interval', 'buckets', 'median', 'p95']];
  for (const [k, c] of cases.entries()) {
    const r = JSON.parse((await call(c)).body) as { interval: number; t: number[] };
    lines.push([c.label, `${r.interval} s`, fmtInt(r.t.length), fmtMs(median(samples[k]!)), fmtMs(percentile(samples[k]!, 95))]);
  }
  lines.push([`baseline: raw rows of the year (${fmtInt(rows)})`, '', '', fmtMs(median(rawMs)), fmtMs(percentile(rawMs, 95))]);
  log(`   (a) GET …/channels/${fx.channelId}/series through app.inject: ${REQUESTS} requests per range after ${WARMUP} warm-up rounds; baseline ${RAW_RUNS} runs\n`);
  log(indent(table(lines)));
  log(`\n   year payload: ${fmtInt(Buffer.byteLength(body))} bytes JSON (${fmtInt(gzipSync(body).length)} gzipped), ${series.t.length} buckets of ${series.interval} s`);

  const yearMedian = median(samples[0]!);
  const rawMedian = median(rawMs);
  return [
    { target: 'series, 1 year at width 1000: median', measured: `${fmtMs(yearMedian)} (p95 ${fmtMs(percentile(samples[0]!, 95))})`, limit: `≤ ${TARGET_SERIES_MS} ms`, pass: yearMedian <= TARGET_SERIES_MS },
    {
      target: 'series vs raw rows of the year',
      measured: `1/${(rawMedian / yearMedian).toFixed(0)} (${fmtMs(rawMedian)} raw)`,
      limit: `≤ 1/${TARGET_RAW_FACTOR}`,
      pass: yearMedian * TARGET_RAW_FACTOR <= rawMedian,
    },
  ];
}

// --- (b) the controller page in Chromium ----------------------------------------------------

/** Whether the built app contains a chart that sets the mark (the dashboard's controller page). */
function builtWithChartMark(): boolean {
  const assets = join(WEB_DIST, 'assets');
  if (!existsSync(assets)) return false;
  return readdirSync(assets).some((f) => f.endsWith('.js') && readFileSync(join(assets, f), 'utf8').includes(CHART_MARK));
}

const WATERFALL = `[
  ...performance.getEntriesByType('navigation').map((e) => ({ name: 'document', start: e.startTime, end: e.responseEnd })),
  ...performance.getEntriesByType('resource').map((e) => ({ name: new URL(e.name).pathname + new URL(e.name).search, start: e.startTime, end: e.responseEnd })),
]`;

async function chartPart(app: FastifyInstance, fx: YearFixture, log: Log): Promise<Check> {
  const target = 'controller page, 1 y: navigation → chart drawn (median)';
  const limit = `≤ ${fmtInt(TARGET_CHART_MS)} ms`;
  const skip = (why: string): Check => {
    log(`\n   (b) controller page in Chromium: ${why}`);
    return { target, measured: why, limit, pass: null };
  };
  ensureWebBuilt(log);
  if (chromiumSkipReason) return skip(chromiumSkipReason);
  if (!builtWithChartMark()) return skip(`controller page not built yet (no "${CHART_MARK}" mark in web/dist)`);

  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const signIn = await fetch(`${base}/api/flowline/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: BENCH_USER.email, password: BENCH_USER.password }),
  });
  if (signIn.status === 404) return skip('sign-in not built yet (POST /api/flowline/v1/session answers 404)');
  if (signIn.status !== 201) throw new Error(`sign-in answered ${signIn.status}: ${await signIn.text()}`);
  const cookies = signIn.headers.getSetCookie().map((line) => {
    const pair = line.split(';')[0]!;
    const eq = pair.indexOf('=');
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), url: base };
  });

  const url = `${base}/app/controllers/${fx.sensorId}?range=1y`;
  const browser = await launchChromium();
  const loads: number[] = [];
  let waterfall: { name: string; start: number; end: number }[] = [];
  try {
    // Each load in a fresh context: nothing cached, as a first visit.
    for (let i = 0; i < PAGE_LOADS + 1; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        await context.addCookies(cookies);
        const page = await context.newPage();
        await page.goto(url, { waitUntil: 'commit' });
        await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, CHART_MARK, { timeout: 15_000, polling: 10 });
        const at = await page.evaluate((mark) => performance.getEntriesByName(mark)[0]!.startTime, CHART_MARK);
        // The first load warms the server and the OS page cache; it is shown, not counted.
        if (i === 0) log(`\n   (b) ${url.replace(base, '')} in headless Chromium: first load ${fmtMs(at)} (not counted)`);
        else loads.push(at);
        // A string: the page's DOM types are not in this (Node) program.
        if (i === PAGE_LOADS) waterfall = await page.evaluate<{ name: string; start: number; end: number }[]>(WATERFALL);
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  log(`       ${PAGE_LOADS} loads in fresh contexts, navigation start → performance.mark('${CHART_MARK}'): median ${fmtMs(median(loads))}, max ${fmtMs(Math.max(...loads))}`);
  // Where the time of the last load went: what the page fetched, when (ms after navigation start).
  log(`       the last load's requests (ms after navigation start):`);
  for (const r of waterfall) log(`         ${r.start.toFixed(0).padStart(5)} → ${r.end.toFixed(0).padStart(5)}  ${r.name.length > 100 ? `${r.name.slice(0, 97)}…` : r.name}`);
  return { target, measured: `${fmtMs(median(loads))} (max ${fmtMs(Math.max(...loads))})`, limit, pass: median(loads) <= TARGET_CHART_MS };
}

// --- (c) the initial JavaScript -----------------------------------------------------------

let built = false;
/** `npm start`'s check: builds web/dist when missing or older than a source file. */
function ensureWebBuilt(log: Log): void {
  if (built) return;
  log('   (building the web app when stale: scripts/ensure-web-built.mjs)');
  execFileSync(process.execPath, [join(ROOT, 'scripts/ensure-web-built.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  built = true;
}

/** The entry script and the modules it preloads, as index.html names them. */
function initialScripts(html: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(/<script\b[^>]*\btype="module"[^>]*\bsrc="([^"]+)"/g)) out.add(m[1]!);
  for (const m of html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"/g)) out.add(m[1]!);
  return [...out];
}

function initialJsPart(log: Log): Check {
  ensureWebBuilt(log);
  const html = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
  const files = initialScripts(html).map((src) => {
    const bytes = readFileSync(join(WEB_DIST, src.replace(/^\/app\//, '')));
    return { src, bytes: bytes.length, gzipped: gzipSync(bytes).length };
  });
  const total = files.reduce((a, f) => a + f.gzipped, 0);
  log(`\n   (c) initial JavaScript of web/dist (entry + modulepreload), gzip level 6:`);
  log(indent(table([['file', 'bytes', 'gzipped'], ...files.map((f) => [f.src, fmtInt(f.bytes), fmtInt(f.gzipped)]), ['total', fmtInt(files.reduce((a, f) => a + f.bytes, 0)), fmtInt(total)]])));
  return { target: 'initial JavaScript, gzipped', measured: kb(total), limit: `≤ ${kb(TARGET_INITIAL_JS_BYTES)}`, pass: files.length > 0 && total <= TARGET_INITIAL_JS_BYTES };
}
