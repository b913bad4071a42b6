/**
 * `npm run bench [volume|pings|web|webhooks]` — the performance targets of issues 3, 13 and 19 (see docs/benchmarks.md).
 * No name runs every bench; both share one year-of-pings fixture per store. Exits non-zero
 * when a target fails.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { backendFactories, buildYearFixture, verdict } from './fixture.js';
import { pingsBench } from './pings.js';
import { volumeBench } from './volume.js';
import { webBench } from './web.js';
import { webhooksBench } from './webhooks.js';

/** Benches on the shared year-of-pings fixture. */
const BENCHES = {
  volume: { run: volumeBench, about: 'flow_volume over a year vs a day (≤ 2×, < 5 ms median) vs a raw-scan baseline' },
  pings: { run: pingsBench, about: 'a page of 1000 pings over HTTP with autocannon (≥ 1,500 req/s) vs bare node:http' },
  web: { run: webBench, about: 'chart series over a year (≤ 50 ms, ≤ 1/10 of raw rows), controller page chart in Chromium (≤ 1 s), initial JS (≤ 250 KB gz)' },
} as const;
/** Benches that build their own data. */
const STANDALONE = {
  webhooks: { run: webhooksBench, about: 'ingest → webhook receipt p50/p99 at 1,000 events/s (p99 ≤ 100 ms), deliveries/s (≥ 2,000) vs raw ingest' },
} as const;
type BenchName = keyof typeof BENCHES;
type StandaloneName = keyof typeof STANDALONE;

function usage(): string {
  return [
    'usage: npm run bench [name]',
    '',
    ...Object.entries({ ...BENCHES, ...STANDALONE }).map(([name, b]) => `  ${name.padEnd(8)} ${b.about}`),
    '  (none)   all of them, on one shared fixture',
    '',
    'Each runs on a fresh SQLite file with one flow sensor holding a year of one-minute pings',
    '(525,600, ingested through store.ingest); also on PostgreSQL when BENCH_DATABASE_URL is set.',
    'Knobs: BENCH_REQUESTS, BENCH_WARMUP, BENCH_RAW_RUNS (volume, web); BENCH_PAGE_LOADS (web); BENCH_DURATION, BENCH_CONNECTIONS,',
    'BENCH_CPU_PROF=<dir> (pings: profile the Flowline server).',
  ].join('\n');
}

const args = process.argv.slice(2);
if (args.length > 1 || (args[0] !== undefined && !(args[0] in BENCHES) && !(args[0] in STANDALONE))) {
  const help = args[0] === '--help' || args[0] === '-h' || args[0] === 'help';
  (help ? console.log : console.error)(`${help ? '' : `unknown bench "${args.join(' ')}"\n\n`}${usage()}`);
  process.exit(help ? 0 : 2);
}
const selected: BenchName[] = args[0] === undefined ? (Object.keys(BENCHES) as BenchName[]) : args[0] in BENCHES ? [args[0] as BenchName] : [];
const standalone: StandaloneName[] = args[0] === undefined ? (Object.keys(STANDALONE) as StandaloneName[]) : args[0] in STANDALONE ? [args[0] as StandaloneName] : [];

const log = (line: string) => console.log(line);
const load = () => loadavg()[0]!.toFixed(2);

/** Share of all cores busy over the next `ms` (before any bench runs: other processes). */
async function busyPercent(ms: number): Promise<number> {
  const sample = () => cpus().reduce((t, c) => ({ idle: t.idle + c.times.idle, total: t.total + Object.values(c.times).reduce((a, b) => a + b, 0) }), { idle: 0, total: 0 });
  const a = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = sample();
  return b.total === a.total ? 0 : (100 * (b.total - a.total - (b.idle - a.idle))) / (b.total - a.total);
}

const machine = `${availableParallelism()} cores, ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
const busy = await busyPercent(2000);
log(`machine: ${machine}; CPU busy before start: ${busy.toFixed(0)}%, load average (1 min) ${load()}`);
if (busy > 15) log('   (other processes are using the CPU: figures will be lower and noisier than on an idle machine)');
const results: { name: string; backend: string; pass: boolean }[] = [];
for (const factory of backendFactories()) {
  if (selected.length > 0) {
    log(`\n## ${factory.name}: building the fixture (a year of one-minute pings through store.ingest)`);
    const fixture = await buildYearFixture(factory, log);
    try {
      for (const name of selected) results.push({ name, backend: factory.name, pass: await BENCHES[name].run(fixture, log) });
    } finally {
      await fixture.close();
    }
  }
  for (const name of standalone) {
    log(`\n## ${factory.name}: ${name}`);
    results.push({ name, backend: factory.name, pass: await STANDALONE[name].run(factory, log) });
  }
}

log('\n## summary');
log(`   load average (1 min) at end: ${load()}`);
for (const r of results) log(`   ${r.name.padEnd(8)} [${r.backend}] ${verdict(r.pass)}`);
if (!process.env.BENCH_DATABASE_URL) log('   (PostgreSQL not run: set BENCH_DATABASE_URL=postgres://… to add it)');
process.exitCode = results.every((r) => r.pass) ? 0 : 1;
