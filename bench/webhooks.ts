/**
 * `npm run bench webhooks` (issue 13): how soon a ping reaches a webhook receiver after its
 * ingest, at 1,000 events/s (target p99 ≤ 100 ms), and how many deliveries/s the worker sends
 * (target ≥ 2,000/s) — beside the raw ingest rate of the same store in the same run.
 */
import { fork } from 'node:child_process';
import pino from 'pino';
import { registerFlowSensor } from '../src/domain/flow-sensors.js';
import { ingestBatch } from '../src/domain/ingest.js';
import { PLATFORM_SCOPE } from '../src/domain/scope.js';
import { newSecretKey, parseSecretKey, secretBox } from '../src/domain/secret-box.js';
import { systemClock } from '../src/domain/time.js';
import type { Controller } from '../src/domain/types.js';
import { openStore } from '../src/store/open-store.js';
import { allowedNetworks } from '../src/webhooks/destination.js';
import { newWebhookSecret } from '../src/webhooks/signing.js';
import { startDeliveryWorker } from '../src/webhooks/worker.js';
import { fmtInt, fmtMs, percentile, table, verdict, type BackendFactory, type Log } from './fixture.js';

const SENSORS = 10;
const RATE = 1_000; // events per second
const BATCH = 10; // pings a device sends at once: 100 batches a second make 1,000 events/s
const SECONDS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? 10);
const BACKLOG = Number(process.env.BENCH_WEBHOOK_BACKLOG ?? 20_000);

interface Receiver {
  port: number;
  take(): Promise<[number, number][]>;
  close(): void;
}

async function startReceiver(): Promise<Receiver> {
  const child = fork(new URL('./webhook-receiver.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return {
    port,
    take: () =>
      new Promise((resolve) => {
        child.once('message', (m: { arrivals: [number, number][] }) => resolve(m.arrivals));
        child.send({ take: true });
      }),
    close: () => child.kill(),
  };
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function webhooksBench(factory: BackendFactory, log: Log): Promise<boolean> {
  const database = await factory.create();
  const store = openStore(database.url, database.name === 'postgres' ? { maxConnections: 10 } : {});
  const receiver = await startReceiver();
  const secrets = secretBox(parseSecretKey(newSecretKey()));
  try {
    await store.migrate();
    const customer = await store.createCustomer(PLATFORM_SCOPE, 'Bench Webhooks');
    const facility = await store.createFacility(PLATFORM_SCOPE, { customerId: customer.id, name: 'Bench Yard' });
    const other = await store.createCustomer(PLATFORM_SCOPE, 'Bench Baseline');
    const otherFacility = await store.createFacility(PLATFORM_SCOPE, { customerId: other.id, name: 'Baseline Yard' });
    const sensors: Controller[] = [];
    const baseline: Controller[] = [];
    for (let i = 0; i < SENSORS; i++) {
      sensors.push((await registerFlowSensor(store, PLATFORM_SCOPE, { facilityId: facility.id, serialNumber: `50000000${10 + i}`, name: `Hooked ${i}` })).controller);
      baseline.push((await registerFlowSensor(store, PLATFORM_SCOPE, { facilityId: otherFacility.id, serialNumber: `60000000${10 + i}`, name: `Plain ${i}` })).controller);
    }
    const endpoint = await store.createWebhookEndpoint(PLATFORM_SCOPE, {
      customerId: customer.id,
      kind: 'flowcommand',
      url: `http://127.0.0.1:${receiver.port}/hook`,
      secretCiphertext: secrets.seal(newWebhookSecret()),
      eventTypes: ['ping_received'],
    });

    let clockMs = Date.parse('2026-01-01T00:00:00Z');
    const batch = () => {
      clockMs += 1000;
      return { readings: [{ channel: 'S1', time: new Date(clockMs).toISOString(), value: 1000 + (clockMs % 997) }] };
    };
    const ingestRound = async (controllers: Controller[]) => {
      const at = batch();
      return Promise.all(controllers.map((c) => ingestBatch(store, c, at, systemClock)));
    };

    // 1. Raw ingest rate: a customer without endpoints, then with one (the outbox's cost).
    const rate = async (controllers: Controller[], rounds: number) => {
      const started = now();
      for (let i = 0; i < rounds; i++) await ingestRound(controllers);
      return (rounds * controllers.length) / ((now() - started) / 1000);
    };
    const rawRate = await rate(baseline, 300);
    const outboxRate = await rate(sensors, 300);

    // 2. Throughput: the queue of the rounds above plus a backlog, drained by the worker.
    let queued = await store.countDeliveries(PLATFORM_SCOPE, endpoint.id);
    for (; queued < BACKLOG; queued += SENSORS) await ingestRound(sensors);
    const total = await store.countDeliveries(PLATFORM_SCOPE, endpoint.id);
    const worker = startDeliveryWorker({ store, secrets, allowed: allowedNetworks('127.0.0.0/8'), clock: systemClock, logger: pino({ level: 'silent' }), pollMs: 5 });
    const drainStart = now();
    let received = 0;
    while (received < total) {
      await sleep(100);
      received += (await receiver.take()).length;
      if (now() - drainStart > 120_000) break;
    }
    const drainSeconds = (now() - drainStart) / 1000;
    const deliveriesPerSecond = received / drainSeconds;

    // 3. Latency at 1,000 events/s: a batch of 10 pings every 10 ms (the sensors in turn), as the
    // ingest route does it (ingest, then poke the worker); each ping timed to its arrival.
    const sentAt = new Map<number, number>();
    const interval = (1000 * BATCH) / RATE;
    const started = now();
    let rounds = 0;
    while (now() - started < SECONDS * 1000) {
      const t0 = now();
      const readings = Array.from({ length: BATCH }, () => batch().readings[0]!);
      const report = await ingestBatch(store, sensors[rounds % SENSORS]!, { readings }, systemClock);
      worker.poke();
      for (const reading of report.outcome.stored) sentAt.set(reading.id, t0);
      rounds += 1;
      const next = started + rounds * interval;
      if (next > now()) await sleep(next - now());
    }
    const achievedRate = (rounds * BATCH) / ((now() - started) / 1000);
    await sleep(1000);
    const latencies: number[] = [];
    for (const [id, at] of await receiver.take()) {
      const t0 = sentAt.get(id);
      if (t0 !== undefined) latencies.push(at - t0);
    }
    await worker.stop();
    const missing = sentAt.size - latencies.length;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);

    const latencyOk = p99 <= 100 && missing === 0;
    const throughputOk = deliveriesPerSecond >= 2_000;
    log(
      table([
        ['measure', 'figure', 'target'],
        ['raw ingest (no endpoints), pings/s', fmtInt(rawRate), 'baseline'],
        ['ingest with one webhook endpoint, pings/s', fmtInt(outboxRate), '—'],
        [`deliveries/s draining ${fmtInt(received)} queued`, fmtInt(deliveriesPerSecond), '≥ 2,000'],
        [`ingest → receipt at ${fmtInt(achievedRate)} events/s, p50`, fmtMs(p50), '—'],
        [`ingest → receipt, p99 (${fmtInt(latencies.length)} pings, ${missing} missing)`, fmtMs(p99), '≤ 100 ms'],
      ]),
    );
    log(`   latency ${verdict(latencyOk)}, throughput ${verdict(throughputOk)}`);
    return latencyOk && throughputOk;
  } finally {
    receiver.close();
    await store.close().catch(() => undefined);
    await database.drop();
  }
}
