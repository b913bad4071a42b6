/**
 * `npm run bench pings` — issue 3: a page of 1000 pings (page 1 of a sensor holding a year of
 * one-minute pings) serves at ≥ 1,500 requests/s, printed beside node's bare HTTP throughput
 * serving a pre-serialised body of the same bytes, measured in the same run.
 *
 * Each server runs in its own child process (bench/serve-fixture.ts) and autocannon loads it
 * from this process: on a 2-core machine the server gets one core and the load generator the
 * other, instead of autocannon's HTTP parsing of ~100 KB responses stealing the server's
 * event loop. The two servers run one after the other, never side by side.
 */
import autocannon, { type Result } from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fmtInt, table, verdict, type Log, type YearFixture } from './fixture.js';

const DURATION = positiveInt(process.env.BENCH_DURATION, 10);
const CONNECTIONS = positiveInt(process.env.BENCH_CONNECTIONS, 20);
const WARMUP_SECONDS = 3;
const TARGET_RPS = 1500;

function positiveInt(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

interface Child {
  port: number;
  stop(): Promise<void>;
}

/** Starts bench/serve-fixture.ts under tsx and waits for the port it prints. */
async function startServer(args: string[], nodeFlags: string[] = []): Promise<Child> {
  const script = fileURLToPath(new URL('./serve-fixture.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve-fixture ${args[0]} did not start within 60 s`)), 60_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve-fixture ${args[0]} exited with code ${code} before listening`));
    });
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

async function load(url: string, headers: Record<string, string>, title: string): Promise<Result> {
  await autocannon({ url, headers, connections: CONNECTIONS, duration: WARMUP_SECONDS, title: `${title} warm-up` });
  return autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION, title });
}

export async function pingsBench(fx: YearFixture, log: Log): Promise<boolean> {
  const backend = fx.database.name;
  const path = `/api/v1/flow_sensors/${fx.sensorId}/pings/`;
  const headers = { authorization: `Token ${fx.token}` };
  log(`\n== pings [${backend}]: GET ${path} (page 1: 1000 of ${fmtInt(fx.pings)} pings), autocannon ${CONNECTIONS} connections × ${DURATION} s after ${WARMUP_SECONDS} s warm-up`);
  log('   servers in child processes (one core each), autocannon in this process');

  const profileDir = process.env.BENCH_CPU_PROF;
  const flowline = await startServer(['flowline', fx.database.url], profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  let body: Buffer;
  let flow: Result;
  try {
    const url = `http://127.0.0.1:${flowline.port}${path}`;
    const response = await fetch(url, { headers });
    body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200) throw new Error(`pings page: HTTP ${response.status} ${body.toString()}`);
    const page = JSON.parse(body.toString()) as { count: number; next: string | null; results: unknown[] };
    if (page.count !== fx.pings || page.results.length !== 1000 || !page.next?.endsWith('?page=2')) {
      throw new Error(`pings page: count ${page.count}, ${page.results.length} results, next ${page.next}`);
    }
    flow = await load(url, headers, 'flowline');
  } finally {
    await flowline.stop();
  }

  const dir = mkdtempSync(join(tmpdir(), 'flowline-bench-body-'));
  let bare: Result;
  try {
    writeFileSync(join(dir, 'page.json'), body);
    const server = await startServer(['bare', join(dir, 'page.json')]);
    try {
      bare = await load(`http://127.0.0.1:${server.port}${path}`, headers, 'bare node:http');
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const row = (name: string, r: Result) => [
    name,
    fmtInt(r.requests.average),
    `${r.latency.p50} ms`,
    `${r.latency.p99} ms`,
    `${(r.throughput.average / 1e6).toFixed(1)} MB/s`,
    fmtInt(r.requests.total),
    String(r.non2xx + r.errors + r.timeouts),
  ];
  log(`   body: ${fmtInt(body.length)} bytes a page\n`);
  log(
    table([
      ['server', 'req/s', 'latency p50', 'latency p99', 'throughput', 'requests', 'non-2xx/errors'],
      row(`Flowline [${backend}]`, flow),
      row('bare node:http, same body', bare),
    ]).replace(/^/gm, '   '),
  );
  const clean = flow.non2xx + flow.errors + flow.timeouts === 0;
  const fast = flow.requests.average >= TARGET_RPS;
  log(`\n   Flowline serves ${((flow.requests.average / bare.requests.average) * 100).toFixed(1)}% of bare node:http throughput`);
  log(`   target ≥ ${fmtInt(TARGET_RPS)} req/s: ${fmtInt(flow.requests.average)} req/s → ${verdict(fast)}${clean ? '' : ' (and some responses were not 2xx: FAIL)'}`);
  if (profileDir) log(`   CPU profile of the Flowline server written to ${profileDir}`);
  return fast && clean;
}
