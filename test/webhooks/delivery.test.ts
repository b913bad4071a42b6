import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { registerFlowSensor } from '../../src/domain/flow-sensors.js';
import { ingestBatch, type IngestPayload } from '../../src/domain/ingest.js';
import { customerScope, PLATFORM_SCOPE, type Scope } from '../../src/domain/scope.js';
import { newSecretKey, parseSecretKey, secretBox } from '../../src/domain/secret-box.js';
import { formatIsoSeconds } from '../../src/domain/time.js';
import type { Controller, WebhookDelivery, WebhookEndpoint, WebhookKind } from '../../src/domain/types.js';
import { openStore } from '../../src/store/open-store.js';
import type { NewWebhookEndpoint } from '../../src/store/store.js';
import { RETRY_FOR_MS } from '../../src/webhooks/backoff.js';
import { allowedNetworks } from '../../src/webhooks/destination.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { startDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions } from '../../src/webhooks/worker.js';
import { basic, buildTestApp, manualClock } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';

/**
 * The webhook engine end to end, on every store: data ingested through `ingestBatch` becomes
 * deliveries in the same transaction (the outbox), and a delivery worker POSTs them to a real
 * HTTP receiver on 127.0.0.1 — bodies and headers exactly as FlowCommand and Fluent clients
 * read them, Standard Webhooks signatures checked with the `standardwebhooks` package, retries
 * on a manual clock, disabling, re-sends, destination safety and several workers sharing one
 * database without sending an attempt twice.
 */

const LOOPBACK = allowedNetworks('127.0.0.0/8,::1');
const SILENT = pino({ level: 'silent' });
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// --- the receiver ---------------------------------------------------------------------------

interface Hit {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the receiver answers one request: a status after a delay, or hanging up without answering. */
interface Answer {
  status?: number;
  delayMs?: number;
  hangUp?: boolean;
  headers?: Record<string, string>;
}

interface Receiver {
  hits: Hit[];
  /** Answers for the next requests, in order; then `fallback`. */
  plan: Answer[];
  fallback: Answer;
  /** Most requests open at once, over all paths. */
  readonly maxInFlight: number;
  /** Most requests open at once, per path. */
  maxInFlightByPath: Map<string, number>;
  url(path?: string): string;
  /** Requests per webhook-id. */
  idCounts(): Map<string, number>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const hits: Hit[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;
  const inFlightByPath = new Map<string, number>();
  const receiver = {
    hits,
    plan: [] as Answer[],
    fallback: { status: 200 } as Answer,
    get maxInFlight() {
      return maxInFlight;
    },
    maxInFlightByPath: new Map<string, number>(),
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    inFlightByPath.set(path, (inFlightByPath.get(path) ?? 0) + 1);
    receiver.maxInFlightByPath.set(path, Math.max(receiver.maxInFlightByPath.get(path) ?? 0, inFlightByPath.get(path)!));
    res.on('close', () => {
      inFlight -= 1;
      inFlightByPath.set(path, inFlightByPath.get(path)! - 1);
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hits.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = receiver.plan.shift() ?? receiver.fallback;
      if (answer.hangUp) {
        req.socket.destroy();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers }).end('ok');
      }, answer.delayMs ?? 0);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    idCounts() {
      const counts = new Map<string, number>();
      for (const hit of hits) {
        const id = String(hit.headers['webhook-id']);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

// --- helpers --------------------------------------------------------------------------------

/** Polls until `probe` returns something truthy (15 s: a loaded CI machine is slow, a hang is still caught). */
async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const iso = (ms: number) => new Date(ms).toISOString();
/** Long enough for the worker (polling every 20 ms) to have acted on anything due. */
const QUIET_MS = 200;

function standardHeaders(hit: Hit): Record<string, string> {
  return {
    'webhook-id': String(hit.headers['webhook-id']),
    'webhook-timestamp': String(hit.headers['webhook-timestamp']),
    'webhook-signature': String(hit.headers['webhook-signature']),
  };
}

type TestEndpoint = WebhookEndpoint & { secret: string; scope: Scope };

let serials = 2_600_000_000;

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: webhook delivery`, () => {
    let store: TestStore;
    let url: string;
    let drop: () => Promise<void>;
    let clock: ReturnType<typeof manualClock>;
    const secrets = secretBox(parseSecretKey(newSecretKey()));
    let workers: DeliveryWorker[] = [];
    let receivers: Receiver[] = [];
    let apps: FastifyInstance[] = [];
    let extraStores: TestStore[] = [];

    beforeEach(async () => {
      ({ store, url, drop } = await factory.create());
      // Whole seconds near the real time: receivers check webhook-timestamp against their own clock.
      clock = manualClock(Math.floor(Date.now() / SECOND) * SECOND);
    });

    afterEach(async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(receivers.map((r) => r.close()));
      await Promise.all(apps.map((a) => a.close()));
      for (const s of extraStores) await s.close();
      workers = [];
      receivers = [];
      apps = [];
      extraStores = [];
      await drop();
    });

    const receiver = async () => {
      const r = await startReceiver();
      receivers.push(r);
      return r;
    };

    const startWorker = (options: Partial<DeliveryWorkerOptions> = {}) => {
      const worker = startDeliveryWorker({ store, secrets, allowed: LOOPBACK, clock, logger: SILENT, pollMs: 20, random: () => 1, ...options });
      workers.push(worker);
      return worker;
    };

    const app = async () => {
      const a = await buildTestApp(store, clock);
      apps.push(a);
      return a;
    };

    async function endpoint(customerId: number, kind: WebhookKind, endpointUrl: string, extra: Partial<NewWebhookEndpoint> = {}): Promise<TestEndpoint> {
      const secret = newWebhookSecret();
      const scope = customerScope(customerId);
      const created = await store.createWebhookEndpoint(scope, {
        customerId,
        kind,
        url: endpointUrl,
        secretCiphertext: secrets.seal(secret),
        eventTypes: kind === 'flowcommand' ? ['ping_received'] : ['data-change', 'alarm'],
        ...extra,
      });
      return { ...created, secret, scope };
    }

    async function flowSensor(tenant: TenantFixture, name: string, tag: string | null) {
      return registerFlowSensor(store, PLATFORM_SCOPE, { facilityId: tenant.facility.id, serialNumber: String(serials++), name, tag });
    }

    const ingest = (controller: Controller, payload: IngestPayload) => ingestBatch(store, controller, payload, clock);
    /** Oldest first. */
    const deliveries = async (e: TestEndpoint) => (await store.listDeliveries(e.scope, e.id, { limit: 10_000 })).reverse();
    const delivery = async (e: TestEndpoint) => {
      const all = await deliveries(e);
      expect(all).toHaveLength(1);
      return all[0]!;
    };
    const attemptsRecorded = (e: TestEndpoint, n: number) => until(`${n} attempt(s) recorded`, async () => ((await delivery(e)).attempts >= n ? delivery(e) : null));

    // --- FlowCommand ------------------------------------------------------------------------

    describe('FlowCommand ping_received', () => {
      it('POSTs each ping exactly as the pings endpoint shows it, with FC-Signature and verifiable Standard Webhooks headers', async () => {
        const a = await createTenant(store, 'Acme');
        const sensor = await flowSensor(a, 'North Header', 'north');
        const r = await receiver();
        const hook = await endpoint(a.customer.id, 'flowcommand', r.url('/flowcommand/hook?src=flowline'));
        startWorker();

        const t0 = clock.now() - 10 * MINUTE;
        await ingest(sensor.controller, {
          readings: [
            { channel: 'S1', time: iso(t0), value: 1234.5 },
            { channel: 'S1', time: iso(t0 + MINUTE + 250), value: 0 },
          ],
        });
        await ingest(sensor.controller, { readings: [{ channel: 'S1', time: iso(t0 + 2 * MINUTE), value: 17 }] });
        await until('three pings delivered', async () => r.hits.length >= 3 && (await deliveries(hook)).every((d) => d.status === 'delivered'));

        const pings = await (await app()).inject({ url: `/api/v1/flow_sensors/${sensor.controller.id}/pings/`, headers: { authorization: `Token ${a.user.token}` } });
        expect(pings.statusCode, pings.body).toBe(200);
        const rows = (pings.json() as { results: Record<string, unknown>[] }).results;
        expect(rows).toHaveLength(3);

        const stored = await deliveries(hook);
        expect(stored.map((d) => [d.eventType, d.status, d.attempts])).toEqual([
          ['ping_received', 'delivered', 1],
          ['ping_received', 'delivered', 1],
          ['ping_received', 'delivered', 1],
        ]);
        for (const hit of r.hits) {
          expect(hit.method).toBe('POST');
          expect(hit.path).toBe('/flowcommand/hook?src=flowline');
          expect(hit.headers['content-type']).toBe('application/json');
          expect(hit.headers['fc-signature']).toBe(hook.secret);
          const body = JSON.parse(hit.body) as { type: string; api_version: string; data: { id: number } };
          const row = rows.find((p) => p.id === body.data.id);
          expect(row, `ping ${body.data.id} on the pings endpoint`).toBeDefined();
          expect(Object.keys(row!)).toEqual(['id', 'sensor_id', 'sensor_name', 'sensor_tag', 'flowrate', 'datetime']);
          // Byte for byte: the envelope, then the ping with the pings endpoint's fields, in its order.
          expect(hit.body).toBe(JSON.stringify({ type: 'ping_received', api_version: '1', data: row }));
          expect(row).toMatchObject({ sensor_id: sensor.controller.id, sensor_name: 'North Header', sensor_tag: 'north' });
          // What a receiver using the standardwebhooks package does.
          expect(new Webhook(hook.secret).verify(hit.body, standardHeaders(hit))).toEqual(body);
          expect(() => new Webhook(newWebhookSecret()).verify(hit.body, standardHeaders(hit))).toThrow();
          expect(hit.headers['webhook-timestamp']).toBe(String(clock.now() / SECOND));
          const d = stored.find((x) => x.messageId === hit.headers['webhook-id']);
          expect(d?.payload).toBe(hit.body);
        }
        expect(new Set(r.hits.map((h) => h.headers['webhook-id'])).size).toBe(3);
        expect(r.hits.map((h) => (JSON.parse(h.body) as { data: { flowrate: number } }).data.flowrate).sort((x, y) => x - y)).toEqual([0, 17, 1234.5]);
      });

      it('nothing for a non-flowrate reading or a controller that is not a flow sensor', async () => {
        const a = await createTenant(store, 'Acme');
        const sensor = await flowSensor(a, 'North Header', null);
        await store.createChannel(PLATFORM_SCOPE, { controllerId: sensor.controller.id, processId: sensor.process.id, number: 'T1', name: 'Temperature', kind: 'input', type: 'temperature', unit: '°F' });
        // A flowrate channel on a W900 is a reading, not a ping.
        await store.createChannel(PLATFORM_SCOPE, { controllerId: a.controller.id, processId: a.process.id, number: 'F1', name: 'Make-up flow', kind: 'input', type: 'flowrate', unit: 'gpm' });
        const r = await receiver();
        const hook = await endpoint(a.customer.id, 'flowcommand', r.url());
        const sub = await endpoint(a.customer.id, 'fluent', r.url('/fluent'));
        startWorker();

        const t = clock.now() - MINUTE;
        await ingest(sensor.controller, { readings: [{ channel: 'T1', time: iso(t), value: 71 }], alarms: [{ event: 'raise', code: 3, time: iso(t) }] });
        await ingest(a.controller, { readings: [{ channel: 'F1', time: iso(t), value: 12 }, { channel: 'S11', time: iso(t), value: 1500 }] });
        // The same data did make events, for the subscription.
        expect(await store.countDeliveries(sub.scope, sub.id)).toBe(4);
        expect(await store.countDeliveries(hook.scope, hook.id)).toBe(0);
        await until('the subscription’s deliveries', () => r.hits.length >= 4);
        await sleep(QUIET_MS);
        expect(r.hits.map((h) => h.path)).toEqual(['/fluent', '/fluent', '/fluent', '/fluent']);

        // A ping does reach it.
        await ingest(sensor.controller, { readings: [{ channel: 'S1', time: iso(t), value: 5 }] });
        expect(await store.countDeliveries(hook.scope, hook.id)).toBe(1);
        await until('the ping', () => r.hits.some((h) => h.path === '/hook'));
      });
    });

    // --- Fluent -----------------------------------------------------------------------------

    describe('Fluent subscriptions', () => {
      it('data-change pushes the current-readings reading object; alarm raises and clears push the active-alarms alarm object', async () => {
        const a = await createTenant(store, 'Acme');
        const r = await receiver();
        const sub = await endpoint(a.customer.id, 'fluent', r.url('/subscriber'));
        startWorker();
        const serial = a.controller.serialNumber;
        const t = clock.now() - 5 * MINUTE + 123;

        await ingest(a.controller, {
          readings: [
            { channel: 'S11', time: iso(t), value: 1500.25 },
            { channel: 'R1', time: iso(t), value: 1 },
            // Not assigned to a process: not stored, no event.
            { channel: 'S99', time: iso(t), value: 40 },
          ],
          alarms: [
            { event: 'raise', code: 7, channel: 'S11', severity: 'critical', message: 'Conductivity high', time: iso(t) },
            { event: 'raise', code: 9, time: iso(t + 1) },
          ],
        });
        await until('four events', () => r.hits.length >= 4);

        const api = await app();
        const auth = { authorization: basic(a.user.email, a.user.token) };
        const current = await api.inject({ url: `/controller/current-readings/${serial}`, headers: auth });
        expect(current.statusCode, current.body).toBe(200);
        const readings = (current.json() as { readings: { 'channel-number': string }[] }).readings;
        const active = await api.inject({ url: `/controller/active-alarms/${serial}`, headers: auth });
        expect(active.statusCode, active.body).toBe(200);
        const alarms = (active.json() as { 'alarm-info': { 'alarm-id': number }[] })['alarm-info'];
        expect(alarms).toHaveLength(2);

        const bodies = r.hits.map((h) => JSON.parse(h.body) as Record<string, unknown>);
        const dataChanges = bodies.filter((b) => b['event-type'] === 'data-change');
        expect(dataChanges.map((b) => (b.reading as { 'channel-number': string })['channel-number']).sort()).toEqual(['R1', 'S11']);
        for (const b of dataChanges) {
          const reading = b.reading as { 'channel-number': string };
          expect(b).toEqual({ 'event-type': 'data-change', 'subscription-id': sub.id, 'serial-number': serial, reading: readings.find((x) => x['channel-number'] === reading['channel-number']) });
        }
        const raises = bodies.filter((b) => b['event-type'] === 'alarm');
        expect(raises.map((b) => (b.alarm as { 'alarm-id': number })['alarm-id']).sort()).toEqual([7, 9]);
        for (const b of raises) {
          const alarm = b.alarm as { 'alarm-id': number };
          expect(b).toEqual({ 'event-type': 'alarm', 'subscription-id': sub.id, 'serial-number': serial, 'alarm-event': 'raised', alarm: alarms.find((x) => x['alarm-id'] === alarm['alarm-id']) });
        }
        for (const hit of r.hits) {
          expect(hit.method).toBe('POST');
          expect(hit.path).toBe('/subscriber');
          expect(hit.headers['content-type']).toBe('application/json');
          expect(hit.headers['fc-signature']).toBeUndefined();
          expect(() => new Webhook(sub.secret).verify(hit.body, standardHeaders(hit))).not.toThrow();
        }

        // The clear, as alarm history shows the cleared alarm.
        clock.advance(MINUTE);
        await ingest(a.controller, { alarms: [{ event: 'clear', code: 7, channel: 'S11', time: iso(t + 30 * SECOND) }] });
        await until('the clear', () => r.hits.length >= 5);
        const cleared = JSON.parse(r.hits[4]!.body) as { 'alarm-event': string; alarm: { 'alarm-id': number; 'raised-at': string } };
        const history = await api.inject({ url: `/controller/alarm-history/${serial}`, headers: auth });
        const historic = (history.json() as { 'alarm-info': { 'alarm-id': number; 'cleared-at'?: string }[] })['alarm-info'].find((x) => x['alarm-id'] === 7);
        expect(historic?.['cleared-at']).toBe(iso(t + 30 * SECOND));
        expect(cleared).toEqual({ 'event-type': 'alarm', 'subscription-id': sub.id, 'serial-number': serial, 'alarm-event': 'cleared', alarm: historic });
        expect(cleared.alarm).toEqual({ ...raises.map((b) => b.alarm as { 'alarm-id': number }).find((x) => x['alarm-id'] === 7), 'cleared-at': iso(t + 30 * SECOND) });
        expect(new Set(r.hits.map((h) => h.headers['webhook-id'])).size).toBe(5);
      });

      it('the server’s no-data alarm is pushed when raised and when the next batch clears it', async () => {
        const a = await createTenant(store, 'Acme');
        const r = await receiver();
        await endpoint(a.customer.id, 'fluent', r.url(), { eventTypes: ['alarm'] });
        startWorker();
        await ingest(a.controller, { readings: [{ channel: 'S11', time: iso(clock.now()), value: 1 }] });
        clock.advance(HOUR);
        expect(await store.raiseNoDataAlarms(clock.now() - 30 * MINUTE, clock.now())).toHaveLength(1);
        await until('the raise', () => r.hits.length >= 1);
        clock.advance(MINUTE);
        await ingest(a.controller, { readings: [{ channel: 'S11', time: iso(clock.now()), value: 2 }] });
        await until('the clear', () => r.hits.length >= 2);
        const bodies = r.hits.map((h) => JSON.parse(h.body) as { 'alarm-event': string; alarm: Record<string, unknown> });
        expect(bodies.map((b) => [b['alarm-event'], b.alarm['alarm-type'], b.alarm['alarm-id'], b.alarm['alarm-text'], b.alarm['channel-number']])).toEqual([
          ['raised', 'fluent-alarm', 1, 'No data received', ''],
          ['cleared', 'fluent-alarm', 1, 'No data received', ''],
        ]);
        expect(bodies[1]!.alarm['cleared-at']).toBe(iso(clock.now()));
      });

      it('scope: by controller, by process (alarms of the whole controller belong to each of its processes), and their union', async () => {
        const a = await createTenant(store, 'Acme');
        const p2 = await store.createProcess(PLATFORM_SCOPE, { controllerId: a.controller.id, name: 'Cooling Tower 2' });
        await store.createChannel(PLATFORM_SCOPE, { controllerId: a.controller.id, processId: p2.id, number: 'S12', name: 'pH', kind: 'input', type: 'ph' });
        const other = await store.createController(PLATFORM_SCOPE, { facilityId: a.facility.id, serialNumber: String(serials++), model: 'W600', name: 'Boiler' });
        const p3 = await store.createProcess(PLATFORM_SCOPE, { controllerId: other.id, name: 'Boiler 1' });
        await store.createChannel(PLATFORM_SCOPE, { controllerId: other.id, processId: p3.id, number: 'S1', name: 'Conductivity', kind: 'input', type: 'conductivity', unit: 'µS/cm' });

        const u = 'http://127.0.0.1:9/unused';
        const all = await endpoint(a.customer.id, 'fluent', u);
        const byController = await endpoint(a.customer.id, 'fluent', u, { controllerIds: [other.id] });
        const byProcess = await endpoint(a.customer.id, 'fluent', u, { processIds: [p2.id] });
        const union = await endpoint(a.customer.id, 'fluent', u, { controllerIds: [other.id], processIds: [a.process.id] });
        const alarmsOnly = await endpoint(a.customer.id, 'fluent', u, { eventTypes: ['alarm'], processIds: [p2.id] });

        const t = iso(clock.now() - MINUTE);
        await ingest(a.controller, {
          readings: [
            { channel: 'S11', time: t, value: 1 },
            { channel: 'R1', time: t, value: 0 },
            { channel: 'S12', time: t, value: 7.1 },
          ],
          alarms: [
            { event: 'raise', code: 11, channel: 'S11', time: t },
            { event: 'raise', code: 10, time: t },
          ],
        });
        await ingest(other, { readings: [{ channel: 'S1', time: t, value: 3 }], alarms: [{ event: 'raise', code: 20, time: t }] });

        const events = async (e: TestEndpoint) =>
          (await deliveries(e))
            .map((d) => JSON.parse(d.payload) as { 'serial-number': string; reading?: { 'channel-number': string }; alarm?: { 'alarm-id': number } })
            .map((b) => `${b['serial-number'] === other.serialNumber ? 'other' : 'a'}:${b.reading ? b.reading['channel-number'] : `alarm ${b.alarm!['alarm-id']}`}`)
            .sort();
        expect(await events(all)).toEqual(['a:R1', 'a:S11', 'a:S12', 'a:alarm 10', 'a:alarm 11', 'other:S1', 'other:alarm 20']);
        expect(await events(byController)).toEqual(['other:S1', 'other:alarm 20']);
        expect(await events(byProcess)).toEqual(['a:S12', 'a:alarm 10']);
        expect(await events(union)).toEqual(['a:R1', 'a:S11', 'a:alarm 10', 'a:alarm 11', 'other:S1', 'other:alarm 20']);
        expect(await events(alarmsOnly)).toEqual(['a:alarm 10']);
      });

      it('expired and disabled endpoints get nothing queued; one expiring later does', async () => {
        const a = await createTenant(store, 'Acme');
        const u = 'http://127.0.0.1:9/unused';
        const expired = await endpoint(a.customer.id, 'fluent', u, { expiresAt: clock.now() - 1 });
        const expiringNow = await endpoint(a.customer.id, 'fluent', u, { expiresAt: clock.now() });
        const disabled = await endpoint(a.customer.id, 'fluent', u, { enabled: false });
        const disabledHook = await endpoint(a.customer.id, 'flowcommand', u, { enabled: false });
        const live = await endpoint(a.customer.id, 'fluent', u, { expiresAt: clock.now() + 10 * DAY });
        const sensor = await flowSensor(a, 'North Header', null);
        const t = iso(clock.now() - MINUTE);
        await ingest(a.controller, { readings: [{ channel: 'S11', time: t, value: 1 }], alarms: [{ event: 'raise', code: 1, time: t }] });
        await ingest(sensor.controller, { readings: [{ channel: 'S1', time: t, value: 1 }] });
        for (const e of [expired, expiringNow, disabled, disabledHook]) expect(await store.countDeliveries(e.scope, e.id), `endpoint ${e.id}`).toBe(0);
        expect(await store.countDeliveries(live.scope, live.id)).toBe(3);

        // Past its expiry the live one gets nothing either.
        clock.set(live.expiresAt! + 1);
        await ingest(a.controller, { readings: [{ channel: 'S11', time: iso(clock.now()), value: 2 }] });
        expect(await store.countDeliveries(live.scope, live.id)).toBe(3);
      });
    });

    // --- tenants and the outbox -------------------------------------------------------------

    it('tenant A’s data never reaches tenant B’s endpoints, nor B’s view of the delivery log', async () => {
      const a = await createTenant(store, 'Acme');
      const b = await createTenant(store, 'Bolt');
      const sensorA = await flowSensor(a, 'North Header', 'north');
      await flowSensor(b, 'Basin Meter', 'basin');
      const ra = await receiver();
      const rb = await receiver();
      const hookA = await endpoint(a.customer.id, 'flowcommand', ra.url('/fc'));
      const subA = await endpoint(a.customer.id, 'fluent', ra.url('/fluent'));
      const hookB = await endpoint(b.customer.id, 'flowcommand', rb.url('/fc'));
      const subB = await endpoint(b.customer.id, 'fluent', rb.url('/fluent'));
      // B names A's controller, process and sensor in its scope: still nothing of A's.
      const nosyB = await endpoint(b.customer.id, 'fluent', rb.url('/nosy'), { controllerIds: [a.controller.id, sensorA.controller.id], processIds: [a.process.id, sensorA.process.id] });
      const nosyHookB = await endpoint(b.customer.id, 'flowcommand', rb.url('/nosy-fc'), { controllerIds: [sensorA.controller.id] });
      startWorker();

      const t = iso(clock.now() - MINUTE);
      await ingest(a.controller, { readings: [{ channel: 'S11', time: t, value: 1 }], alarms: [{ event: 'raise', code: 1, time: t }] });
      await ingest(sensorA.controller, { readings: [{ channel: 'S1', time: t, value: 100 }] });
      await until('A’s deliveries', () => ra.hits.length >= 4);
      await sleep(QUIET_MS);
      expect(ra.hits.map((h) => h.path).sort()).toEqual(['/fc', '/fluent', '/fluent', '/fluent']);
      expect(rb.hits).toEqual([]);
      for (const e of [hookB, subB, nosyB, nosyHookB]) expect(await store.countDeliveries(e.scope, e.id)).toBe(0);
      expect(await store.countDeliveries(hookA.scope, hookA.id)).toBe(1);
      expect(await store.countDeliveries(subA.scope, subA.id)).toBe(3);
      // B cannot read A's delivery log, nor re-send it.
      expect(await store.listDeliveries(customerScope(b.customer.id), subA.id, { limit: 100 })).toEqual([]);
      expect(await store.countDeliveries(customerScope(b.customer.id), subA.id)).toBe(0);
      expect(await store.resendDeliveries(customerScope(b.customer.id), subA.id, { from: 0, to: Number.MAX_SAFE_INTEGER }, clock.now())).toBe(0);
    });

    describe('the outbox', () => {
      it('a batch rejected for an unknown channel stores nothing and queues nothing', async () => {
        const a = await createTenant(store, 'Acme');
        const sub = await endpoint(a.customer.id, 'fluent', 'http://127.0.0.1:9/unused');
        const t = iso(clock.now() - MINUTE);
        const failure = await ingest(a.controller, {
          readings: [
            { channel: 'S11', time: t, value: 1 },
            { channel: 'NOPE', time: t, value: 2 },
          ],
          alarms: [{ event: 'raise', code: 1, time: t }],
        }).catch((e: unknown) => e);
        expect(failure).toBeInstanceOf(AppError);
        expect((failure as AppError).status).toBe(422);
        expect(await store.countDeliveries(sub.scope, sub.id)).toBe(0);
        expect(await store.countReadings(PLATFORM_SCOPE, a.channels.s11.id)).toBe(0);
      });

      it('a batch the store fails midway (after deliveries were written) leaves neither data nor deliveries', async () => {
        const a = await createTenant(store, 'Acme');
        const sub = await endpoint(a.customer.id, 'fluent', 'http://127.0.0.1:9/unused', { eventTypes: ['data-change', 'alarm'] });
        // The database refuses the 1,001st delivery. The batch below makes 1,002 deliveries (1,001
        // data-change and an alarm), written 1,000 at a time: the first chunk is in when the second
        // fails, so the rollback has deliveries to undo.
        const FULL = '(select count(*) from webhook_deliveries) >= 1000';
        if (factory.name === 'sqlite') {
          await sql.raw(`create trigger outbox_boom before insert on webhook_deliveries when ${FULL} begin select raise(abort, 'outbox test failure'); end`).execute(store.kysely);
        } else {
          await sql
            .raw(
              `create function outbox_boom() returns trigger language plpgsql as $$ begin if ${FULL} then raise exception 'outbox test failure'; end if; return new; end $$;
               create trigger outbox_boom before insert on webhook_deliveries for each row execute function outbox_boom();`,
            )
            .execute(store.kysely);
        }
        const t0 = clock.now() - DAY;
        const payload: IngestPayload = {
          readings: Array.from({ length: 1001 }, (_, i) => ({ channel: 'S11', time: iso(t0 + i * MINUTE), value: i })),
          alarms: [{ event: 'raise', code: 5, time: iso(t0) }],
        };
        await expect(ingest(a.controller, payload)).rejects.toThrow(/outbox test failure/);
        expect(await store.countDeliveries(sub.scope, sub.id)).toBe(0);
        expect(await store.countReadings(PLATFORM_SCOPE, a.channels.s11.id)).toBe(0);
        expect(await store.listAlarms(PLATFORM_SCOPE, { controllerId: a.controller.id, limit: 10 })).toEqual([]);

        // Once the database accepts it, the same batch commits with every event.
        await sql`drop trigger outbox_boom${sql.raw(factory.name === 'postgres' ? ' on webhook_deliveries' : '')}`.execute(store.kysely);
        await ingest(a.controller, payload);
        expect(await store.countDeliveries(sub.scope, sub.id)).toBe(1002);
        expect(await store.countReadings(PLATFORM_SCOPE, a.channels.s11.id)).toBe(1001);
      });

      it('a resent batch (readings already stored) queues nothing new', async () => {
        const a = await createTenant(store, 'Acme');
        const sub = await endpoint(a.customer.id, 'fluent', 'http://127.0.0.1:9/unused');
        const payload = { readings: [{ channel: 'S11', time: iso(clock.now() - MINUTE), value: 1 }] };
        await ingest(a.controller, payload);
        await ingest(a.controller, payload);
        expect(await store.countDeliveries(sub.scope, sub.id)).toBe(1);
      });
    });

    // --- retries ----------------------------------------------------------------------------

    describe('retries', () => {
      async function oneEvent(path = '/hook', workerOptions: Partial<DeliveryWorkerOptions> = {}) {
        const a = await createTenant(store, 'Acme');
        const r = await receiver();
        const sub = await endpoint(a.customer.id, 'fluent', r.url(path), { eventTypes: ['data-change'] });
        const worker = startWorker(workerOptions);
        const queuedAt = clock.now();
        await ingest(a.controller, { readings: [{ channel: 'S11', time: iso(clock.now() - MINUTE), value: 1 }] });
        return { a, r, sub, worker, queuedAt };
      }

      it('fails 3 times with 500, once with a hang-up, then delivers on the 5th attempt, on the backoff schedule, with one webhook-id', async () => {
        const { r, sub, worker, queuedAt } = await oneEvent();
        r.plan.push({ status: 500, delayMs: 150 }, { status: 500 }, { status: 503 }, { hangUp: true }, { status: 200 });
        const expected: [number | null, RegExp][] = [
          [500, /HTTP 500/],
          [500, /HTTP 500/],
          [503, /HTTP 503/],
          [null, /./],
        ];
        const attemptTimes: number[] = [];
        for (let k = 1; k <= 4; k += 1) {
          const d = await attemptsRecorded(sub, k);
          attemptTimes.push(clock.now());
          expect(r.hits).toHaveLength(k);
          const [status, error] = expected[k - 1]!;
          expect(d.status).toBe('pending');
          expect(d.attempts).toBe(k);
          expect(d.lastStatus).toBe(status);
          expect(d.lastError).toMatch(error);
          if (status === null) expect(d.lastError).not.toMatch(/HTTP/);
          expect(d.lastAttemptAt).toBe(clock.now());
          expect(d.firstAttemptAt).toBe(queuedAt);
          expect(d.deliveredAt).toBeNull();
          expect(Number.isInteger(d.lastLatencyMs)).toBe(true);
          if (k === 1) expect(d.lastLatencyMs).toBeGreaterThanOrEqual(140);
          // random() = 1: the whole step, 5 s doubling.
          expect(d.nextAttemptAt).toBe(clock.now() + 5 * SECOND * 2 ** (k - 1));
          // Nothing before it is due…
          clock.set(d.nextAttemptAt - 1);
          worker.poke();
          await sleep(QUIET_MS / 2);
          expect(r.hits).toHaveLength(k);
          // …and the attempt once it is.
          clock.set(d.nextAttemptAt);
          worker.poke();
        }
        const done = await until('delivered', async () => {
          const d = await delivery(sub);
          return d.status === 'delivered' ? d : null;
        });
        expect(done).toMatchObject({ attempts: 5, lastStatus: 200, lastError: null, deliveredAt: clock.now(), lastAttemptAt: clock.now(), firstAttemptAt: queuedAt });
        expect(r.hits).toHaveLength(5);
        expect(new Set(r.hits.map((h) => h.headers['webhook-id']))).toEqual(new Set([done.messageId]));
        expect(new Set(r.hits.map((h) => h.body))).toEqual(new Set([done.payload]));
        // Each attempt is signed afresh with its own timestamp, and each verifies.
        expect(r.hits.map((h) => Number(h.headers['webhook-timestamp']) * SECOND)).toEqual([...attemptTimes, clock.now()]);
        expect(attemptTimes[0]).toBe(queuedAt);
        for (const hit of r.hits) expect(() => new Webhook(sub.secret).verify(hit.body, standardHeaders(hit))).not.toThrow();
        // A delivery succeeded: the endpoint is not failing any more.
        expect((await store.getWebhookEndpoint(sub.scope, sub.id))?.failingSince).toBeNull();
        await sleep(QUIET_MS);
        expect(r.hits).toHaveLength(5);
      });

      it('408 and 429 are retried', async () => {
        const { r, sub, worker } = await oneEvent();
        r.plan.push({ status: 408 }, { status: 429, headers: { 'retry-after': '1' } }, { status: 204 });
        let d = await attemptsRecorded(sub, 1);
        expect(d).toMatchObject({ status: 'pending', lastStatus: 408 });
        clock.set(d.nextAttemptAt);
        worker.poke();
        d = await attemptsRecorded(sub, 2);
        expect(d).toMatchObject({ status: 'pending', lastStatus: 429 });
        clock.set(d.nextAttemptAt);
        worker.poke();
        d = await attemptsRecorded(sub, 3);
        expect(d).toMatchObject({ status: 'delivered', lastStatus: 204, attempts: 3 });
        expect(r.idCounts()).toEqual(new Map([[d.messageId, 3]]));
      });

      it('a 400 is not retried', async () => {
        const { r, sub, worker } = await oneEvent();
        r.plan.push({ status: 400 });
        const d = await attemptsRecorded(sub, 1);
        expect(d).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 400, deliveredAt: null });
        expect(d.lastError).toMatch(/400/);
        clock.advance(DAY);
        worker.poke();
        await sleep(QUIET_MS);
        expect(r.hits).toHaveLength(1);
        expect(await delivery(sub)).toMatchObject({ status: 'failed', attempts: 1 });
      });

      it('a redirect is not followed', async () => {
        const { r, sub, worker } = await oneEvent();
        r.plan.push({ status: 302, headers: { location: r.url('/elsewhere') } });
        const d = await attemptsRecorded(sub, 1);
        expect(d.lastStatus).toBe(302);
        expect(d.lastError).toMatch(/redirect/i);
        expect(d.status).not.toBe('delivered');
        clock.advance(HOUR);
        worker.poke();
        await sleep(QUIET_MS);
        expect(r.hits.map((h) => h.path)).toEqual(['/hook']);
      });

      it('a receiver slower than timeoutMs is a timeout, retried later', async () => {
        const { r, sub, worker } = await oneEvent('/hook', { timeoutMs: 300 });
        r.plan.push({ status: 200, delayMs: 3000 });
        const started = Date.now();
        const d = await attemptsRecorded(sub, 1);
        expect(Date.now() - started).toBeLessThan(2500);
        expect(d).toMatchObject({ status: 'pending', lastStatus: null, deliveredAt: null });
        expect(d.lastError).toMatch(/time/i);
        expect(d.lastLatencyMs).toBeGreaterThanOrEqual(250);
        expect(d.lastLatencyMs).toBeLessThan(2500);
        clock.set(d.nextAttemptAt);
        worker.poke();
        const again = await attemptsRecorded(sub, 2);
        expect(again).toMatchObject({ status: 'delivered', lastStatus: 200, lastError: null });
        expect(r.idCounts()).toEqual(new Map([[d.messageId, 2]]));
      });
    });

    // --- disabling --------------------------------------------------------------------------

    it('an endpoint failing for more than three days is disabled with the reason, and nothing more is queued for it', async () => {
      const a = await createTenant(store, 'Acme');
      const r = await receiver();
      r.fallback = { status: 500 };
      const sub = await endpoint(a.customer.id, 'fluent', r.url(), { eventTypes: ['data-change'] });
      const worker = startWorker();
      const t0 = clock.now();
      const event = async (value: number) => {
        await ingest(a.controller, { readings: [{ channel: 'S11', time: iso(clock.now()), value }] });
        worker.poke();
      };
      const endpointNow = async () => (await store.getWebhookEndpoint(sub.scope, sub.id))!;
      const attemptsSoFar = async () => (await deliveries(sub)).reduce((n, d) => n + d.attempts, 0);

      await event(1);
      await until('the first failure', async () => (await attemptsSoFar()) === 1);
      expect(await endpointNow()).toMatchObject({ enabled: true, failingSince: t0, disabledReason: null });

      // Two days on: still failing, still enabled.
      clock.set(t0 + 2 * DAY);
      await event(2);
      await until('two more failures', async () => (await attemptsSoFar()) === 3);
      expect(await endpointNow()).toMatchObject({ enabled: true, failingSince: t0 });

      // Past three days of failure.
      clock.set(t0 + RETRY_FOR_MS + MINUTE);
      await event(3);
      await until('three more failures', async () => (await attemptsSoFar()) === 6);
      const disabled = await endpointNow();
      expect(disabled.enabled).toBe(false);
      expect(disabled.disabledReason).toMatch(/HTTP 500/);
      expect(disabled.disabledReason).toContain(formatIsoSeconds(t0));
      // The first event was tried for three days and has given up.
      const [first] = await deliveries(sub);
      expect(first).toMatchObject({ status: 'failed', attempts: 3, firstAttemptAt: t0 });

      const queued = await store.countDeliveries(sub.scope, sub.id);
      clock.advance(MINUTE);
      await event(4);
      expect(await store.countDeliveries(sub.scope, sub.id)).toBe(queued);
    });

    it('a disabled or expired endpoint is not sent deliveries queued before', async () => {
      const a = await createTenant(store, 'Acme');
      const r = await receiver();
      const toDisable = await endpoint(a.customer.id, 'fluent', r.url('/disabled'), { eventTypes: ['data-change'] });
      const toExpire = await endpoint(a.customer.id, 'fluent', r.url('/expired'), { eventTypes: ['data-change'], expiresAt: clock.now() + HOUR });
      await ingest(a.controller, { readings: [{ channel: 'S11', time: iso(clock.now()), value: 1 }] });
      expect(await store.countDeliveries(toDisable.scope, toDisable.id)).toBe(1);
      expect(await store.countDeliveries(toExpire.scope, toExpire.id)).toBe(1);
      // The owner turns one off; the other's subscription lapses before the worker gets to them.
      await store.updateWebhookEndpoint(toDisable.scope, toDisable.id, { enabled: false }, clock.now());
      clock.advance(HOUR + 1);
      startWorker();
      await sleep(QUIET_MS * 2);
      expect(r.hits.map((h) => h.path)).toEqual([]);
    });

    // --- re-sending -------------------------------------------------------------------------

    it('re-sends one delivery by id, and those created in a time range, with their webhook-ids', async () => {
      const a = await createTenant(store, 'Acme');
      const r = await receiver();
      const sub = await endpoint(a.customer.id, 'fluent', r.url(), { eventTypes: ['data-change'] });
      const worker = startWorker();
      const created: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        created.push(clock.now());
        await ingest(a.controller, { readings: [{ channel: 'S11', time: iso(clock.now()), value: i }] });
        clock.advance(MINUTE);
      }
      await until('three deliveries', async () => (await deliveries(sub)).every((d) => d.status === 'delivered') && r.hits.length === 3);
      const [d1, d2, d3] = (await deliveries(sub)) as [WebhookDelivery, WebhookDelivery, WebhookDelivery];
      expect([d1.createdAt, d2.createdAt, d3.createdAt]).toEqual(created);

      expect(await store.resendDeliveries(sub.scope, sub.id, { deliveryId: d2.id }, clock.now())).toBe(1);
      worker.poke();
      await until('d2 again', () => r.idCounts().get(d2.messageId) === 2);
      await until('d2 recorded', async () => (await deliveries(sub)).every((d) => d.status === 'delivered'));

      clock.advance(MINUTE);
      // [from, to): d1 and d2, not d3.
      expect(await store.resendDeliveries(sub.scope, sub.id, { from: created[0]!, to: created[2]! }, clock.now())).toBe(2);
      worker.poke();
      await until('d1 and d2 again', () => r.idCounts().get(d1.messageId) === 2 && r.idCounts().get(d2.messageId) === 3);
      await until('recorded', async () => (await deliveries(sub)).every((d) => d.status === 'delivered'));
      await sleep(QUIET_MS);
      expect(r.idCounts()).toEqual(
        new Map([
          [d1.messageId, 2],
          [d2.messageId, 3],
          [d3.messageId, 1],
        ]),
      );
      const byId = new Map(r.hits.map((h) => [String(h.headers['webhook-id']), h.body]));
      for (const d of [d1, d2, d3]) expect(byId.get(d.messageId)).toBe(d.payload);
      const after = await deliveries(sub);
      expect(after.map((d) => [d.status, d.messageId, d.deliveredAt])).toEqual([
        ['delivered', d1.messageId, clock.now()],
        ['delivered', d2.messageId, clock.now()],
        ['delivered', d3.messageId, d3.deliveredAt],
      ]);
      // An unknown id re-sends nothing.
      expect(await store.resendDeliveries(sub.scope, sub.id, { deliveryId: d3.id + 1000 }, clock.now())).toBe(0);
    });

    // --- safety -----------------------------------------------------------------------------

    for (const host of ['127.0.0.1', 'localhost']) {
      it(`never contacts a loopback destination (${host}) unless allowed`, async () => {
        const a = await createTenant(store, 'Acme');
        const r = await receiver();
        const port = new URL(r.url()).port;
        const sub = await endpoint(a.customer.id, 'fluent', `http://${host}:${port}/hook`, { eventTypes: ['data-change'] });
        startWorker({ allowed: allowedNetworks(undefined) });
        await ingest(a.controller, { readings: [{ channel: 'S11', time: iso(clock.now()), value: 1 }] });
        const d = await attemptsRecorded(sub, 1);
        expect(r.hits).toEqual([]);
        expect(d.status).not.toBe('delivered');
        expect(d.lastStatus).toBeNull();
        expect(d.lastError).toMatch(host === 'localhost' ? /localhost|127\.0\.0\.1|::1/ : /127\.0\.0\.1/);
      });
    }

    // --- concurrency ------------------------------------------------------------------------

    it('bounds the requests in flight per endpoint and overall', async () => {
      const a = await createTenant(store, 'Acme');
      const r = await receiver();
      r.fallback = { status: 200, delayMs: 40 };
      const e1 = await endpoint(a.customer.id, 'fluent', r.url('/one'), { eventTypes: ['data-change'] });
      const e2 = await endpoint(a.customer.id, 'fluent', r.url('/two'), { eventTypes: ['data-change'] });
      const t0 = clock.now() - DAY;
      await ingest(a.controller, { readings: Array.from({ length: 20 }, (_, i) => ({ channel: 'S11', time: iso(t0 + i * MINUTE), value: i })) });
      startWorker({ perEndpoint: 2, concurrency: 3 });
      await until('40 deliveries recorded', async () => [...(await deliveries(e1)), ...(await deliveries(e2))].every((d) => d.status === 'delivered'), 10_000);
      expect(r.maxInFlightByPath.get('/one')).toBeLessThanOrEqual(2);
      expect(r.maxInFlightByPath.get('/two')).toBeLessThanOrEqual(2);
      expect(r.maxInFlight).toBeLessThanOrEqual(3);
      // They do run side by side, up to the bound.
      expect(Math.max(...r.maxInFlightByPath.values())).toBe(2);
      expect(r.idCounts().size).toBe(40);
      expect([...r.idCounts().values()].every((n) => n === 1)).toBe(true);
    });

    it('two workers on two store instances of one database deliver 300 events, each exactly once', async () => {
      const a = await createTenant(store, 'Acme');
      const r = await receiver();
      r.fallback = { status: 200, delayMs: 2 };
      const sub = await endpoint(a.customer.id, 'fluent', r.url(), { eventTypes: ['data-change'] });
      const t0 = clock.now() - DAY;
      await ingest(a.controller, { readings: Array.from({ length: 300 }, (_, i) => ({ channel: 'S11', time: iso(t0 + i * SECOND), value: i })) });
      const queued = await deliveries(sub);
      expect(queued).toHaveLength(300);

      const second = openStore(url, { maxConnections: 5 });
      extraStores.push(second);
      const claimed = [0, 0];
      const counting = (s: TestStore, i: number): TestStore => {
        const claim = s.claimDeliveries.bind(s);
        s.claimDeliveries = async (...args) => {
          const rows = await claim(...args);
          claimed[i]! += rows.length;
          return rows;
        };
        return s;
      };
      const options = { perEndpoint: 16, concurrency: 24 };
      startWorker({ ...options, store: counting(store, 0) });
      startWorker({ ...options, store: counting(second, 1) });

      await until('every delivery recorded', async () => (await deliveries(sub)).every((d) => d.status === 'delivered'), 20_000);
      const counts = r.idCounts();
      expect(counts.size).toBe(300);
      expect(new Set(counts.keys())).toEqual(new Set(queued.map((d) => d.messageId)));
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      expect((await deliveries(sub)).filter((d) => d.attempts !== 1)).toEqual([]);
      expect(claimed[0]! + claimed[1]!).toBe(300);
      // Both took part.
      expect(claimed[0]).toBeGreaterThan(0);
      expect(claimed[1]).toBeGreaterThan(0);
    });

    it('the standardwebhooks receiver rejects a body or signature that was tampered with', async () => {
      const a = await createTenant(store, 'Acme');
      const r = await receiver();
      const sub = await endpoint(a.customer.id, 'fluent', r.url(), { eventTypes: ['data-change'] });
      startWorker();
      await ingest(a.controller, { readings: [{ channel: 'S11', time: iso(clock.now()), value: 1 }] });
      await until('the delivery', () => r.hits.length === 1);
      const hit = r.hits[0]!;
      const headers = standardHeaders(hit);
      expect(headers['webhook-signature']).toBe(
        `v1,${createHmac('sha256', Buffer.from(sub.secret.slice('whsec_'.length), 'base64')).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${hit.body}`).digest('base64')}`,
      );
      const receiverCheck = new Webhook(sub.secret);
      expect(() => receiverCheck.verify(hit.body.replace('"value":1', '"value":2'), headers)).toThrow();
      expect(() => receiverCheck.verify(hit.body, { ...headers, 'webhook-id': `${headers['webhook-id']}x` })).toThrow();
      expect(() => receiverCheck.verify(hit.body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1) })).toThrow();
    });
  });
}
