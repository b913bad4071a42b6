import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { expect, vi } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { registerFlowSensor } from '../../../src/domain/flow-sensors.js';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import { newSecretKey, parseSecretKey, secretBox, type SecretBox } from '../../../src/domain/secret-box.js';
import { digestSecret, newIngestKey } from '../../../src/domain/secrets.js';
import type { Channel, Controller, Process, WebhookDelivery } from '../../../src/domain/types.js';
import { buildApp } from '../../../src/http/app.js';
import { allowedNetworks } from '../../../src/webhooks/destination.js';
import { startDeliveryWorker, type DeliveryWorker } from '../../../src/webhooks/worker.js';
import { manualClock } from '../../helpers/app.js';
import type { StoreFactory, TestStore } from '../../helpers/stores.js';

/**
 * Shared harness of the webhook HTTP suites (not a test file itself): a real app over a real
 * store, a delivery worker sharing the app's SecretBox and manual clock, and a real HTTP
 * receiver on 127.0.0.1 that records every POST and answers as told per path.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Generous budgets: these suites make many requests from one client within a minute. */
export const RATE_LIMITS = [
  'flowcommand.default=100000/1m',
  'flowcommand.anonymous=100000/1m',
  'fluent.default=100000/1m',
  'fluent.anonymous=100000/1m',
].join(',');

// --- the receiver ------------------------------------------------------------------------------

export interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The app's clock when the POST arrived (what a receiver's own clock would read). */
  clockAt: number;
}

export interface Receiver {
  hits: Hit[];
  url(path: string): string;
  at(path: string): Hit[];
  /** Answers for the next POSTs to `path`, in order, then 200. */
  answer(path: string, ...statuses: number[]): void;
  /** Every POST to `path` answered with `status` from now on (null: 200 again). */
  always(path: string, status: number | null): void;
  close(): Promise<void>;
}

export async function startReceiver(clock: { now(): number }): Promise<Receiver> {
  const hits: Hit[] = [];
  const planned = new Map<string, number[]>();
  const fixed = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      hits.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), clockAt: clock.now() });
      const status = planned.get(path)?.shift() ?? fixed.get(path) ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'thanks' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hits,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    at: (path) => hits.filter((h) => h.path === path),
    answer: (path, ...statuses) => planned.set(path, [...(planned.get(path) ?? []), ...statuses]),
    always: (path, status) => {
      if (status === null) fixed.delete(path);
      else fixed.set(path, status);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// --- the harness -------------------------------------------------------------------------------

export type TestClock = ReturnType<typeof manualClock>;

export interface Harness {
  app: FastifyInstance;
  /** The same store and clock, but no WEBHOOK_ALLOWED_NETWORKS: loopback and private URLs are refused. */
  strictApp: FastifyInstance;
  store: TestStore;
  clock: TestClock;
  secrets: SecretBox;
  worker: DeliveryWorker;
  receiver: Receiver;
  close(): Promise<void>;
}

/** Whole seconds near the real time, so signatures also pass the standardwebhooks clock-skew check. */
export const nearNow = () => Math.floor(Date.now() / SECOND) * SECOND;

export async function startHarness(factory: StoreFactory): Promise<Harness> {
  const clock = manualClock(nearNow());
  // The store stamps created_at with its own clock: give it the app's.
  const { store, drop } = await factory.create({ now: clock.now });
  const secrets = secretBox(parseSecretKey(newSecretKey()));
  const worker = startDeliveryWorker({ store, secrets, allowed: allowedNetworks('127.0.0.0/8'), clock, logger: pino({ level: 'silent' }), pollMs: 20 });
  const config = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8,::1', RATE_LIMITS });
  const app = await buildApp({ config, store, clock, secrets, webhookWorker: worker });
  await app.ready();
  const strictApp = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent', RATE_LIMITS }), store, clock, secrets });
  await strictApp.ready();
  const receiver = await startReceiver(clock);
  return {
    app,
    strictApp,
    store,
    clock,
    secrets,
    worker,
    receiver,
    async close() {
      await worker.stop();
      await app.close();
      await strictApp.close();
      await receiver.close();
      await drop();
    },
  };
}

// --- waiting -----------------------------------------------------------------------------------

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every delivery of every endpoint, each with whether its endpoint may receive now (enabled and not expired). */
export async function allDeliveries(store: TestStore, now: number): Promise<(WebhookDelivery & { live: boolean })[]> {
  const endpoints = [
    ...(await store.listWebhookEndpoints(PLATFORM_SCOPE, { kind: 'flowcommand' })),
    ...(await store.listWebhookEndpoints(PLATFORM_SCOPE, { kind: 'fluent' })),
  ];
  const out: (WebhookDelivery & { live: boolean })[] = [];
  for (const e of endpoints) {
    const live = e.enabled && (e.expiresAt === null || e.expiresAt > now);
    for (const d of await store.listDeliveries(PLATFORM_SCOPE, e.id, { limit: 100_000 })) out.push({ ...d, live });
  }
  return out;
}

/**
 * Waits until the worker has nothing due: every delivery of an endpoint that may receive is
 * delivered, failed, or pending a retry later than the clock (a disabled or expired endpoint's
 * pending deliveries may rightly wait). Only then can a suite say that something was *not* sent.
 */
export async function settle(h: Pick<Harness, 'store' | 'clock' | 'worker'>): Promise<void> {
  h.worker.poke();
  await waitFor('the worker to finish what is due', async () => {
    const now = h.clock.now();
    return (await allDeliveries(h.store, now)).every((d) => !d.live || d.status !== 'pending' || d.nextAttemptAt > now);
  });
}

// --- signatures --------------------------------------------------------------------------------

export function standardHeaders(hit: Hit): Record<string, string> {
  return {
    'webhook-id': String(hit.headers['webhook-id']),
    'webhook-timestamp': String(hit.headers['webhook-timestamp']),
    'webhook-signature': String(hit.headers['webhook-signature']),
  };
}

/**
 * What a receiver using the `standardwebhooks` package does, with its own clock reading the
 * app's time when the POST arrived (the package refuses timestamps 5 minutes off its clock).
 */
export function verifyStandard(secret: string, hit: Hit): unknown {
  vi.useFakeTimers({ toFake: ['Date'], now: hit.clockAt });
  try {
    return new Webhook(secret).verify(hit.body, standardHeaders(hit));
  } finally {
    vi.useRealTimers();
  }
}

// --- fixtures ----------------------------------------------------------------------------------

export interface FlowSensorFixture {
  controller: Controller;
  process: Process;
  channel: Channel;
  ingestKey: string;
}

// Serials of their own range, clear of createTenant's (1_900_000_000…) and the FlowCommand suite's.
let serial = 2_610_000_000;
export const nextSerial = (): string => String(serial++);

export async function addFlowSensor(store: TestStore, facilityId: number, name: string, tag: string | null = null): Promise<FlowSensorFixture> {
  const ingestKey = newIngestKey();
  const sensor = await registerFlowSensor(store, PLATFORM_SCOPE, {
    facilityId,
    serialNumber: nextSerial(),
    name,
    tag,
    ingestKeyHash: digestSecret(ingestKey),
    processName: `${name} line`,
  });
  return { ...sensor, ingestKey };
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export interface IngestBody {
  readings?: { channel: string; time: string; value: number }[];
  alarms?: Record<string, unknown>[];
}

/** POST /ingest/v1/readings with the controller's ingest key, as a device does. */
export async function ingest(app: FastifyInstance, ingestKey: string, body: IngestBody): Promise<Record<string, unknown>> {
  const res = await app.inject({ method: 'POST', url: '/ingest/v1/readings', headers: { authorization: `Bearer ${ingestKey}` }, payload: body });
  expect(res.statusCode, res.body).toBe(200);
  const report = res.json() as Record<string, unknown>;
  expect(report.not_stored, res.body).toEqual([]);
  return report;
}

export function expectStatus(res: LightMyRequestResponse, status: number): void {
  expect(res.statusCode, `${res.statusCode}: ${res.body}`).toBe(status);
}
