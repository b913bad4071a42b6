import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import { digestSecret, newIngestKey } from '../../../src/domain/secrets.js';
import type { Channel, Controller, Process } from '../../../src/domain/types.js';
import { basic } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories } from '../../helpers/stores.js';
import { registeredRoutes } from '../support.js';
import { DAY, expectStatus, HOUR, ingest, iso, MINUTE, nextSerial, SECOND, settle, startHarness, verifyStandard, waitFor, type Harness } from './support.js';

/**
 * Fluent subscriptions (`/subscription/…`, issue 13) end to end, on every store: the routes'
 * kebab-case shapes, the 10-day expiry and renewal on a manual clock, rotation and
 * cancellation, the scope (serial numbers, process ids), the pushed bodies compared with what
 * `controller/current-readings` and `controller/active-alarms` answer, Standard Webhooks
 * signatures checked with the `standardwebhooks` package, and bad input answered with 400
 * `{"error"}` naming the problem.
 */

const LIFETIME = 10 * DAY;
const SUBSCRIPTION_KEYS = ['subscription-id', 'callback-url', 'event-types', 'serial-numbers', 'process-ids', 'status', 'created-at', 'renewed-at', 'expires-at'];
const SECRET = /^whsec_[A-Za-z0-9+/]{32}$/;
const NO_CREDENTIALS = 'Authentication credentials were not provided.';

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'DELETE';
type User = TenantFixture['user'];

interface Tenant {
  t: TenantFixture;
  /** createTenant's W900: process P1 (S11 conductivity, R1 relay), S99 in no process; plus P2 (S12 pH). */
  c1: Controller;
  p1: Process;
  p2: Process;
  s12: Channel;
  /** A second W900 with its own process P3 (S11). */
  c2: Controller;
  c2Key: string;
  p3: Process;
}

interface Subscription {
  id: number;
  secret: string;
  path: string;
  created: Json;
}

interface Push {
  'event-type': string;
  'subscription-id': number;
  'serial-number': string;
  reading?: Json & { 'channel-number': string };
  'alarm-event'?: string;
  alarm?: Json & { 'alarm-id': number };
}

const AUTHS: Record<string, (u: User) => Record<string, string>> = {
  'Basic e-mail:token': (u) => ({ authorization: basic(u.email, u.token) }),
  'Token header': (u) => ({ authorization: `Token ${u.token}` }),
};

function expectError(res: LightMyRequestResponse, status: number, message?: string | RegExp): string {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as Json;
  expect(Object.keys(body), res.body).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  expect((body.error as string).length).toBeGreaterThan(0);
  if (typeof message === 'string') expect(body.error).toBe(message);
  else if (message) expect(body.error, res.body).toMatch(message);
  return body.error as string;
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: Fluent subscriptions`, () => {
    let h: Harness;
    let a: Tenant;
    let b: Tenant;
    let paths = 0;
    let readingAt = 0;

    const nextPath = (label = 'sub') => `/fluent/${label}-${++paths}`;
    const at = (ms: number) => new Date(ms).toISOString();

    async function tenant(name: string): Promise<Tenant> {
      const t = await createTenant(h.store, name);
      const p2 = await h.store.createProcess(PLATFORM_SCOPE, { controllerId: t.controller.id, name: 'Boiler 1' });
      const s12 = await h.store.createChannel(PLATFORM_SCOPE, { controllerId: t.controller.id, processId: p2.id, number: 'S12', name: 'pH', kind: 'input', type: 'ph' });
      const c2Key = newIngestKey();
      const c2 = await h.store.createController(PLATFORM_SCOPE, {
        facilityId: t.facility.id,
        serialNumber: nextSerial(),
        model: 'W900',
        name: `${name} Boiler Controller`,
        ingestKeyHash: digestSecret(c2Key),
      });
      const p3 = await h.store.createProcess(PLATFORM_SCOPE, { controllerId: c2.id, name: 'Cooling Tower 2' });
      await h.store.createChannel(PLATFORM_SCOPE, { controllerId: c2.id, processId: p3.id, number: 'S11', name: 'Conductivity', kind: 'input', type: 'conductivity', unit: 'µS/cm' });
      return { t, c1: t.controller, p1: t.process, p2, s12, c2, c2Key, p3 };
    }

    const as = (t: Tenant) => AUTHS['Token header']!(t.t.user);
    function call(method: Method, url: string, headers: Record<string, string>, payload?: unknown, app = h.app) {
      return app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    }

    async function subscribe(t: Tenant, extra: Json = {}, path = nextPath()): Promise<Subscription> {
      const res = await call('POST', '/subscription/create/', as(t), { 'callback-url': h.receiver.url(path), 'event-types': ['data-change', 'alarm'], ...extra });
      expectStatus(res, 201);
      const created = res.json() as Json;
      return { id: created['subscription-id'] as number, secret: created.secret as string, path, created };
    }

    async function getSub(t: Tenant, id: number): Promise<Json> {
      const res = await call('GET', `/subscription/${id}`, as(t));
      expectStatus(res, 200);
      return res.json() as Json;
    }

    async function list(t: Tenant): Promise<Json[]> {
      const res = await call('GET', '/subscription/list/', as(t));
      expectStatus(res, 200);
      const body = res.json() as Json;
      expect(Object.keys(body)).toEqual(['subscription-list']);
      return body['subscription-list'] as Json[];
    }

    /** Readings through the ingest API, each at its own later time; returns the times. */
    async function readings(key: string, ...items: [channel: string, value: number][]): Promise<number[]> {
      const times = items.map(() => (readingAt += SECOND));
      await ingest(h.app, key, { readings: items.map(([channel, value], i) => ({ channel, time: iso(times[i]!), value })) });
      return times;
    }
    async function alarm(key: string, event: 'raise' | 'clear', code: number, channel?: string, extra: Json = {}): Promise<number> {
      const time = (readingAt += SECOND);
      await ingest(h.app, key, { alarms: [{ event, code, time: iso(time), ...(channel ? { channel } : {}), ...extra }] });
      return time;
    }

    const pushes = (path: string): Push[] => h.receiver.at(path).map((x) => JSON.parse(x.body) as Push);
    const waitHits = (path: string, n: number) => waitFor(`${n} POSTs at ${path}`, () => h.receiver.at(path).length >= n);
    const deliveriesOf = (id: number) => h.store.countDeliveries(PLATFORM_SCOPE, id);

    async function currentReading(t: Tenant, serial: string, channel: string): Promise<Json> {
      const res = await call('GET', `/controller/current-readings/${serial}`, as(t));
      expectStatus(res, 200);
      const found = (res.json() as { readings: Json[] }).readings.find((r) => r['channel-number'] === channel);
      expect(found, `${channel} on current-readings`).toBeDefined();
      return found!;
    }
    async function activeAlarms(t: Tenant, serial: string): Promise<Json[]> {
      const res = await call('GET', `/controller/active-alarms/${serial}`, as(t));
      expectStatus(res, 200);
      return (res.json() as { 'alarm-info': Json[] })['alarm-info'];
    }

    beforeAll(async () => {
      h = await startHarness(factory);
      readingAt = h.clock.now() - DAY;
      a = await tenant('Apex Water');
      b = await tenant('Basin Cooling');
    });
    afterAll(async () => {
      await h?.close();
    });

    describe('routes and shapes', () => {
      it('create answers 201 with kebab-case keys, status active, expires-at now + 10 days and the secret, once', async () => {
        const now = h.clock.now();
        const url = h.receiver.url(nextPath());
        const res = await call('POST', '/subscription/create/', as(a), {
          'callback-url': url,
          'event-types': ['data-change', 'alarm'],
          'serial-numbers': [a.c1.serialNumber],
          'process-ids': [a.p3.id],
        });
        expectStatus(res, 201);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const created = res.json() as Json;
        expect(Object.keys(created)).toEqual([...SUBSCRIPTION_KEYS, 'secret']);
        expect(created).toEqual({
          'subscription-id': expect.any(Number),
          'callback-url': url,
          'event-types': ['data-change', 'alarm'],
          'serial-numbers': [a.c1.serialNumber],
          'process-ids': [a.p3.id],
          status: 'active',
          'created-at': at(now),
          'renewed-at': at(now),
          'expires-at': at(now + LIFETIME),
          secret: expect.stringMatching(SECRET),
        });
        const id = created['subscription-id'] as number;
        const secret = created.secret as string;

        const { secret: _shown, ...withoutSecret } = created;
        const got = await call('GET', `/subscription/${id}`, as(a));
        expectStatus(got, 200);
        expect(Object.keys(got.json() as Json)).toEqual(SUBSCRIPTION_KEYS);
        expect(got.json()).toEqual(withoutSecret);
        const listed = await call('GET', '/subscription/list/', as(a));
        expectStatus(listed, 200);
        expect(((listed.json() as Json)['subscription-list'] as Json[]).find((s) => s['subscription-id'] === id)).toEqual(withoutSecret);
        const renewed = await call('POST', `/subscription/renew/${id}`, as(a));
        for (const r of [got, listed, renewed]) {
          expectStatus(r, 200);
          expect(r.body).not.toContain(secret);
          expect(r.body).not.toContain('secret');
        }

        // Defaults: one event type, no scope (every controller of the customer); duplicates collapse.
        const only = await call('POST', '/subscription/create/', as(a), { 'callback-url': h.receiver.url(nextPath()), 'event-types': ['alarm', 'alarm'] });
        expectStatus(only, 201);
        expect(only.json()).toMatchObject({ 'event-types': ['alarm'], 'serial-numbers': [], 'process-ids': [], status: 'active' });
        expect((only.json() as Json).secret).not.toBe(secret);
      });

      it('list holds every subscription of yours, by id, and none of another customer', async () => {
        const c = await tenant('Cobalt Towers');
        expect(await list(c)).toEqual([]);
        const made = [await subscribe(c), await subscribe(c, { 'event-types': ['data-change'], 'serial-numbers': [c.c2.serialNumber] }), await subscribe(c, { 'process-ids': [c.p2.id, c.p1.id] })];
        await subscribe(b);
        const all = await list(c);
        expect(all.map((s) => s['subscription-id'])).toEqual(made.map((m) => m.id));
        for (const s of all) expect(Object.keys(s)).toEqual(SUBSCRIPTION_KEYS);
        expect(all[1]).toMatchObject({ 'event-types': ['data-change'], 'serial-numbers': [c.c2.serialNumber], 'process-ids': [] });
        expect([...(all[2]!['process-ids'] as number[])].sort()).toEqual([c.p1.id, c.p2.id].sort());
        for (const s of all) expect(await getSub(c, s['subscription-id'] as number)).toEqual(s);
        expect(JSON.stringify(all)).not.toContain(b.c1.serialNumber);
        // Without the trailing slash too.
        expectStatus(await call('GET', '/subscription/list', as(c)), 200);
      });

      it('renew moves expires-at to the clock + 10 days and renewed-at to now; created-at stays', async () => {
        const sub = await subscribe(a);
        const created = sub.created['created-at'];
        h.clock.advance(3 * DAY + 5 * HOUR);
        const res = await call('POST', `/subscription/renew/${sub.id}`, as(a));
        expectStatus(res, 200);
        expect(Object.keys(res.json() as Json)).toEqual(SUBSCRIPTION_KEYS);
        expect(res.json()).toMatchObject({ status: 'active', 'created-at': created, 'renewed-at': at(h.clock.now()), 'expires-at': at(h.clock.now() + LIFETIME) });
        expect(await getSub(a, sub.id)).toEqual(res.json());
        // Renewing again later moves it again.
        h.clock.advance(MINUTE);
        expect((await call('POST', `/subscription/renew/${sub.id}`, as(a))).json()).toMatchObject({ 'expires-at': at(h.clock.now() + LIFETIME) });
      });

      it('renew works until the last millisecond before expiry; at or after expiry it is 409 {"error"} and changes nothing', async () => {
        const early = await subscribe(a);
        const late = await subscribe(a);
        const start = h.clock.now();
        h.clock.set(start + LIFETIME - 1);
        const res = await call('POST', `/subscription/renew/${early.id}`, as(a));
        expectStatus(res, 200);
        expect(res.json()).toMatchObject({ status: 'active', 'expires-at': at(start + 2 * LIFETIME - 1) });

        h.clock.set(start + LIFETIME);
        expect(await getSub(a, late.id)).toMatchObject({ status: 'expired', 'expires-at': at(start + LIFETIME) });
        expectError(await call('POST', `/subscription/renew/${late.id}`, as(a)), 409, /expired/);
        h.clock.advance(DAY);
        expectError(await call('POST', `/subscription/renew/${late.id}`, as(a)), 409, /expired/);
        expect(await getSub(a, late.id)).toMatchObject({ status: 'expired', 'expires-at': at(start + LIFETIME), 'renewed-at': late.created['renewed-at'] });
      });

      it('rotate-secret answers a new secret; later pushes are signed with it; the dates do not move', async () => {
        const sub = await subscribe(a, { 'serial-numbers': [a.c1.serialNumber], 'event-types': ['data-change'] });
        await readings(a.t.ingestKey, ['S11', 1501]);
        await waitHits(sub.path, 1);
        verifyStandard(sub.secret, h.receiver.at(sub.path)[0]!);

        const before = await getSub(a, sub.id);
        h.clock.advance(HOUR);
        const res = await call('POST', `/subscription/rotate-secret/${sub.id}`, as(a));
        expectStatus(res, 200);
        expect(Object.keys(res.json() as Json)).toEqual(['secret']);
        const rotated = (res.json() as { secret: string }).secret;
        expect(rotated).toMatch(SECRET);
        expect(rotated).not.toBe(sub.secret);
        expect((await call('GET', `/subscription/${sub.id}`, as(a))).body).not.toContain(rotated);

        await readings(a.t.ingestKey, ['S11', 1502]);
        await waitHits(sub.path, 2);
        const second = h.receiver.at(sub.path)[1]!;
        expect(verifyStandard(rotated, second)).toEqual(JSON.parse(second.body));
        expect(() => verifyStandard(sub.secret, second)).toThrow();
        // Fluent pushes carry no FlowCommand header.
        expect(second.headers['fc-signature']).toBeUndefined();
        // Rotating is not renewing.
        expect(await getSub(a, sub.id), 'the subscription after rotate-secret').toEqual(before);
      });

      it('cancel (DELETE /subscription/cancel/<id> or /subscription/<id>) answers 200 cancelled; it is gone and pushes stop', async () => {
        for (const route of ['/subscription/cancel/', '/subscription/']) {
          const sub = await subscribe(a, { 'serial-numbers': [a.c1.serialNumber] });
          const control = await subscribe(a, { 'serial-numbers': [a.c1.serialNumber] });
          await readings(a.t.ingestKey, ['S11', 1600]);
          await waitHits(sub.path, 1);
          await waitHits(control.path, 1);

          const res = await call('DELETE', `${route}${sub.id}`, as(a));
          expectStatus(res, 200);
          expect(res.json()).toEqual({ 'subscription-id': sub.id, status: 'cancelled' });
          expectError(await call('GET', `/subscription/${sub.id}`, as(a)), 404);
          expect((await list(a)).map((s) => s['subscription-id'])).not.toContain(sub.id);
          expectError(await call('DELETE', `${route}${sub.id}`, as(a)), 404);
          expectError(await call('POST', `/subscription/renew/${sub.id}`, as(a)), 404);
          expectError(await call('POST', `/subscription/rotate-secret/${sub.id}`, as(a)), 404);

          await readings(a.t.ingestKey, ['S11', 1601]);
          await alarm(a.t.ingestKey, 'raise', 77, 'S11');
          await waitHits(control.path, 3);
          await settle(h);
          expect(h.receiver.at(sub.path)).toHaveLength(1);
          expect(await deliveriesOf(sub.id)).toBe(0);
          await alarm(a.t.ingestKey, 'clear', 77, 'S11');
          expectStatus(await call('DELETE', `/subscription/${control.id}`, as(a)), 200);
        }
      });
    });

    describe('pushed events', () => {
      it('data-change: {"event-type","subscription-id","serial-number","reading"} with the reading object of current-readings, signed', async () => {
        const sub = await subscribe(a, { 'event-types': ['data-change'], 'serial-numbers': [a.c1.serialNumber] });
        await readings(a.t.ingestKey, ['S11', 1834.25], ['R1', 1], ['S12', 7.125]);
        await waitHits(sub.path, 3);
        await settle(h);
        const hits = h.receiver.at(sub.path);
        expect(hits).toHaveLength(3);
        for (const hit of hits) {
          const push = JSON.parse(hit.body) as Push;
          expect(Object.keys(push)).toEqual(['event-type', 'subscription-id', 'serial-number', 'reading']);
          expect(push['event-type']).toBe('data-change');
          expect(push['subscription-id']).toBe(sub.id);
          expect(push['serial-number']).toBe(a.c1.serialNumber);
          // The very object current-readings answers for the channel (this reading is its latest).
          expect(push.reading).toEqual(await currentReading(a, a.c1.serialNumber, push.reading!['channel-number']));
          expect(hit.headers['content-type']).toMatch(/^application\/json/);
          expect(verifyStandard(sub.secret, hit)).toEqual(push);
          expect(() => verifyStandard(`whsec_${Buffer.alloc(24, 9).toString('base64')}`, hit)).toThrow();
          expect(hit.headers['webhook-timestamp']).toBe(String(Math.floor(h.clock.now() / SECOND)));
        }
        expect(pushes(sub.path).map((p) => p.reading!['channel-number']).sort()).toEqual(['R1', 'S11', 'S12']);
        expect(new Set(hits.map((x) => x.headers['webhook-id'])).size).toBe(3);
        const s11 = pushes(sub.path).find((p) => p.reading!['channel-number'] === 'S11')!;
        expect(s11.reading).toMatchObject({ 'channel-name': 'Conductivity', 'channel-type': 'conductivity', subchannel: [{ type: 'value', value: 1834.25, units: 'µS/cm' }] });
        // A reading of a channel in no process is not stored, so it is no event.
        const res = await h.app.inject({ method: 'POST', url: '/ingest/v1/readings', headers: { authorization: `Bearer ${a.t.ingestKey}` }, payload: { readings: [{ channel: 'S99', time: iso((readingAt += SECOND)), value: 3 }] } });
        expectStatus(res, 200);
        await settle(h);
        expect(h.receiver.at(sub.path)).toHaveLength(3);

        // The outbox follows the data: a batch sent again stores nothing new and pushes nothing;
        // a batch refused as a whole (an unknown channel) pushes nothing either.
        const t = (readingAt += SECOND);
        const batch = { readings: [{ channel: 'S11', time: iso(t), value: 1835 }] };
        const key = { authorization: `Bearer ${a.t.ingestKey}` };
        expectStatus(await h.app.inject({ method: 'POST', url: '/ingest/v1/readings', headers: key, payload: batch }), 200);
        const again = await h.app.inject({ method: 'POST', url: '/ingest/v1/readings', headers: key, payload: batch });
        expectStatus(again, 200);
        expect(again.json()).toMatchObject({ stored: 0, duplicates: 1 });
        const refused = await h.app.inject({
          method: 'POST',
          url: '/ingest/v1/readings',
          headers: key,
          payload: { readings: [{ channel: 'S11', time: iso((readingAt += SECOND)), value: 1836 }, { channel: 'S77', time: iso(readingAt), value: 1 }] },
        });
        expect(refused.statusCode, refused.body).toBe(422);
        await waitHits(sub.path, 4);
        await settle(h);
        expect(pushes(sub.path).slice(3).map((p) => p.reading!.subchannel)).toEqual([[expect.objectContaining({ value: 1835, time: at(t) })]]);
      });

      it('alarm: raised and cleared, with the alarm object of active-alarms, signed', async () => {
        const sub = await subscribe(a, { 'event-types': ['alarm'], 'serial-numbers': [a.c1.serialNumber] });
        await alarm(a.t.ingestKey, 'raise', 12, 'S11', { severity: 'critical', message: 'High Conductivity' });
        await alarm(a.t.ingestKey, 'raise', 3, undefined, { message: 'Flow switch open' });
        // A reading is no alarm event for an alarm-only subscription.
        await readings(a.t.ingestKey, ['S11', 1900]);
        await waitHits(sub.path, 2);
        await settle(h);
        const active = await activeAlarms(a, a.c1.serialNumber);
        const raised = pushes(sub.path);
        expect(raised).toHaveLength(2);
        for (const [i, push] of raised.entries()) {
          expect(Object.keys(push)).toEqual(['event-type', 'subscription-id', 'serial-number', 'alarm-event', 'alarm']);
          expect(push).toMatchObject({ 'event-type': 'alarm', 'subscription-id': sub.id, 'serial-number': a.c1.serialNumber, 'alarm-event': 'raised' });
          const same = active.find((x) => x['alarm-id'] === push.alarm!['alarm-id']);
          expect(same, `alarm ${push.alarm!['alarm-id']} on active-alarms`).toBeDefined();
          expect(push.alarm).toEqual(same);
          verifyStandard(sub.secret, h.receiver.at(sub.path)[i]!);
        }
        const high = raised.find((p) => p.alarm!['alarm-id'] === 12)!;
        expect(high.alarm).toMatchObject({ 'alarm-text': 'High Conductivity', 'alarm-severity': 'critical', 'channel-number': 'S11', 'channel-name': 'Conductivity' });
        // An alarm of the whole controller has empty channel name and number.
        expect(raised.find((p) => p.alarm!['alarm-id'] === 3)!.alarm).toMatchObject({ 'channel-number': '', 'channel-name': '' });

        const clearedAt = await alarm(a.t.ingestKey, 'clear', 12, 'S11');
        await waitHits(sub.path, 3);
        const cleared = pushes(sub.path)[2]!;
        expect(cleared).toMatchObject({ 'event-type': 'alarm', 'alarm-event': 'cleared', 'subscription-id': sub.id, 'serial-number': a.c1.serialNumber });
        expect(cleared.alarm).toEqual({ ...high.alarm, 'cleared-at': at(clearedAt) });
        verifyStandard(sub.secret, h.receiver.at(sub.path)[2]!);
        // The same object as the alarm history shows for it.
        const history = await call('GET', `/controller/alarm-history/${a.c1.serialNumber}`, as(a));
        expectStatus(history, 200);
        expect((history.json() as { 'alarm-info': Json[] })['alarm-info'].find((x) => x['alarm-id'] === 12 && x['cleared-at'])).toEqual(cleared.alarm);
        expect((await activeAlarms(a, a.c1.serialNumber)).map((x) => x['alarm-id'])).not.toContain(12);
        await alarm(a.t.ingestKey, 'clear', 3);
      });

      it('scope by serial numbers: events of the other controllers are not pushed', async () => {
        const sub = await subscribe(a, { 'serial-numbers': [a.c2.serialNumber] });
        const c1Only = await subscribe(a, { 'serial-numbers': [a.c1.serialNumber, a.c1.serialNumber] });
        expect(c1Only.created['serial-numbers']).toEqual([a.c1.serialNumber]);
        await readings(a.t.ingestKey, ['S11', 2001], ['S12', 7.5]);
        await alarm(a.t.ingestKey, 'raise', 40, 'S11');
        await readings(a.c2Key, ['S11', 2002]);
        await alarm(a.c2Key, 'raise', 41);
        await waitHits(sub.path, 2);
        await waitHits(c1Only.path, 3);
        await settle(h);
        expect(pushes(sub.path).map((p) => [p['serial-number'], p['event-type']])).toEqual([
          [a.c2.serialNumber, 'data-change'],
          [a.c2.serialNumber, 'alarm'],
        ]);
        expect(pushes(c1Only.path).every((p) => p['serial-number'] === a.c1.serialNumber)).toBe(true);
        expect(pushes(c1Only.path)).toHaveLength(3);
        await alarm(a.t.ingestKey, 'clear', 40, 'S11');
        await alarm(a.c2Key, 'clear', 41);
      });

      it('scope by process ids: only the events of those processes (and alarms of their whole controller) are pushed', async () => {
        const p2 = await subscribe(a, { 'process-ids': [a.p2.id] });
        const p3 = await subscribe(a, { 'process-ids': [a.p3.id], 'event-types': ['data-change'] });
        await readings(a.t.ingestKey, ['S11', 2101], ['R1', 0], ['S12', 6.75]);
        await alarm(a.t.ingestKey, 'raise', 50, 'S11'); // P1's channel: not P2's
        await alarm(a.t.ingestKey, 'raise', 51, 'S12'); // P2's channel
        await alarm(a.t.ingestKey, 'raise', 52); // the whole controller: every process of it
        await readings(a.c2Key, ['S11', 2102]);
        await waitHits(p2.path, 3);
        await waitHits(p3.path, 1);
        await settle(h);
        const seen = pushes(p2.path).map((p) => (p.reading ? `reading ${p.reading['channel-number']}` : `alarm ${p.alarm!['alarm-id']}`));
        expect(seen.sort()).toEqual(['alarm 51', 'alarm 52', 'reading S12']);
        expect(pushes(p2.path).every((p) => p['serial-number'] === a.c1.serialNumber)).toBe(true);
        expect(pushes(p3.path)).toEqual([expect.objectContaining({ 'event-type': 'data-change', 'serial-number': a.c2.serialNumber })]);
        for (const code of [50, 51]) await alarm(a.t.ingestKey, 'clear', code, code === 50 ? 'S11' : 'S12');
        await alarm(a.t.ingestKey, 'clear', 52);
      });

      it("without a scope: every controller of the customer, never another customer's", async () => {
        const mine = await subscribe(a);
        const theirs = await subscribe(b);
        await readings(a.t.ingestKey, ['S11', 2201]);
        await readings(a.c2Key, ['S11', 2202]);
        await readings(b.t.ingestKey, ['S11', 2203]);
        await waitHits(mine.path, 2);
        await waitHits(theirs.path, 1);
        await settle(h);
        expect(pushes(mine.path).map((p) => p['serial-number']).sort()).toEqual([a.c1.serialNumber, a.c2.serialNumber].sort());
        expect(pushes(theirs.path).map((p) => [p['serial-number'], p.reading!.subchannel])).toEqual([[b.c1.serialNumber, [expect.objectContaining({ value: 2203 })]]]);
        verifyStandard(theirs.secret, h.receiver.at(theirs.path)[0]!);
        expect(() => verifyStandard(mine.secret, h.receiver.at(theirs.path)[0]!)).toThrow();
      });
    });

    describe('delivery log and re-send', () => {
      const DELIVERY_KEYS = ['delivery-id', 'webhook-id', 'event-type', 'status', 'attempts', 'response-code', 'latency-ms', 'created-at', 'last-attempt-at', 'delivered-at'];

      async function log(t: Tenant, id: number, query = ''): Promise<{ 'subscription-id': number; deliveries: Json[]; 'next-cursor': number | null }> {
        const res = await call('GET', `/subscription/deliveries/${id}${query}`, as(t));
        expectStatus(res, 200);
        const body = res.json() as { 'subscription-id': number; deliveries: Json[]; 'next-cursor': number | null };
        expect(Object.keys(body)).toEqual(['subscription-id', 'deliveries', 'next-cursor']);
        return body;
      }

      it('GET /subscription/deliveries/<id>: each push with status, attempts, response code and error, newest first, by limit and cursor', async () => {
        const sub = await subscribe(a, { 'serial-numbers': [a.c2.serialNumber], 'event-types': ['data-change'] });
        expect(await log(a, sub.id)).toEqual({ 'subscription-id': sub.id, deliveries: [], 'next-cursor': null });
        h.receiver.answer(sub.path, 503);
        const sentAt = h.clock.now();
        await readings(a.c2Key, ['S11', 2701], ['S11', 2702], ['S11', 2703]);
        await waitHits(sub.path, 3);
        await settle(h);
        const first = await log(a, sub.id);
        expect(first['next-cursor']).toBeNull();
        const ids = first.deliveries.map((d) => d['delivery-id'] as number);
        expect(ids).toEqual([...ids].sort((x, y) => y - x));
        const webhookIds = h.receiver.at(sub.path).map((x) => String(x.headers['webhook-id']));
        expect(first.deliveries.map((d) => d['webhook-id']).sort()).toEqual([...webhookIds].sort());
        const failed = first.deliveries.filter((d) => d.status === 'pending');
        expect(failed).toHaveLength(1);
        expect(Object.keys(failed[0]!).sort()).toEqual(['attempts', 'created-at', 'delivery-id', 'event-type', 'last-attempt-at', 'last-error', 'latency-ms', 'next-attempt-at', 'response-code', 'status', 'webhook-id']);
        expect(failed[0]).toMatchObject({ 'event-type': 'data-change', attempts: 1, 'response-code': 503, 'last-error': 'HTTP 503', 'created-at': at(sentAt), 'last-attempt-at': at(sentAt) });
        expect(Date.parse(failed[0]!['next-attempt-at'] as string)).toBeGreaterThan(sentAt);
        for (const d of first.deliveries.filter((x) => x.status === 'delivered')) {
          expect(Object.keys(d).sort()).toEqual([...DELIVERY_KEYS].sort());
          expect(d).toMatchObject({ attempts: 1, 'response-code': 200, 'created-at': at(sentAt), 'delivered-at': at(sentAt) });
        }

        h.clock.advance(HOUR);
        await settle(h);
        await waitHits(sub.path, 4);
        const retried = (await log(a, sub.id)).deliveries.find((d) => d['delivery-id'] === failed[0]!['delivery-id'])!;
        expect(Object.keys(retried).sort()).toEqual([...DELIVERY_KEYS].sort());
        expect(retried).toMatchObject({ status: 'delivered', attempts: 2, 'response-code': 200, 'delivered-at': at(h.clock.now()), 'webhook-id': failed[0]!['webhook-id'] });
        expect(h.receiver.at(sub.path)[3]!.headers['webhook-id']).toBe(failed[0]!['webhook-id']);

        // Pages: limit, then the cursor handed out.
        const page1 = await log(a, sub.id, '?limit=2');
        expect(page1.deliveries.map((d) => d['delivery-id'])).toEqual(ids.slice(0, 2));
        expect(page1['next-cursor']).toBe(ids[1]);
        const page2 = await log(a, sub.id, `?limit=2&cursor=${page1['next-cursor']}`);
        expect(page2.deliveries.map((d) => d['delivery-id'])).toEqual(ids.slice(2));
        expect(page2['next-cursor']).toBeNull();
        for (const q of ['?limit=0', '?limit=1001', '?limit=x', '?cursor=abc', '?cursor=0']) expectError(await call('GET', `/subscription/deliveries/${sub.id}${q}`, as(a)), 400);
      });

      it('POST /subscription/resend/<id>: one delivery ({"delivery-id"}) or a range ({start, end}), pushed again with the same webhook-id and body', async () => {
        const sub = await subscribe(a, { 'serial-numbers': [a.c2.serialNumber], 'event-types': ['data-change'] });
        const other = await subscribe(a, { 'serial-numbers': [a.c2.serialNumber], 'event-types': ['data-change'] });
        const t1 = h.clock.now();
        await readings(a.c2Key, ['S11', 2801]);
        h.clock.advance(MINUTE);
        const t2 = h.clock.now();
        await readings(a.c2Key, ['S11', 2802], ['S11', 2803]);
        await waitHits(sub.path, 3);
        await settle(h);
        const entries = (await log(a, sub.id)).deliveries;
        const bodies = new Map(h.receiver.at(sub.path).map((x) => [String(x.headers['webhook-id']), x.body]));

        h.clock.advance(MINUTE);
        const one = entries.find((d) => d['created-at'] === at(t1))!;
        const res = await call('POST', `/subscription/resend/${sub.id}`, as(a), { 'delivery-id': one['delivery-id'] });
        expectStatus(res, 202);
        expect(res.json()).toEqual({ resent: 1 });
        await waitHits(sub.path, 4);
        await settle(h);
        const again = h.receiver.at(sub.path)[3]!;
        expect(again.headers['webhook-id']).toBe(one['webhook-id']);
        expect(again.body).toBe(bodies.get(one['webhook-id'] as string));
        expect(verifyStandard(sub.secret, again)).toEqual(JSON.parse(again.body));

        const range = await call('POST', `/subscription/resend/${sub.id}`, as(a), { start: at(t2), end: at(t2 + 1) });
        expectStatus(range, 202);
        expect(range.json()).toEqual({ resent: 2 });
        await waitHits(sub.path, 6);
        await settle(h);
        const resent = h.receiver.at(sub.path).slice(4);
        expect(resent.map((x) => String(x.headers['webhook-id'])).sort()).toEqual(entries.filter((d) => d['created-at'] === at(t2)).map((d) => d['webhook-id'] as string).sort());
        for (const x of resent) {
          expect(x.body).toBe(bodies.get(String(x.headers['webhook-id'])));
          verifyStandard(sub.secret, x);
        }
        expect(h.receiver.at(other.path)).toHaveLength(3);

        expect((await call('POST', `/subscription/resend/${sub.id}`, as(a), { start: at(t2 + HOUR), end: at(t2 + 2 * HOUR) })).json()).toEqual({ resent: 0 });
        expectError(await call('POST', `/subscription/resend/${sub.id}`, as(a), { start: at(t2), end: at(t1) }), 400, /reversed/);
        expectError(await call('POST', `/subscription/resend/${sub.id}`, as(a), { start: 'yesterday', end: at(t2) }), 400, /ISO 8601/);
        for (const body of [{}, { start: at(t1) }, { 'delivery-id': one['delivery-id'], start: at(t1), end: at(t2) }, { 'delivery-id': '1' }, { 'delivery-id': 0 }, { id: 1 }]) {
          expectError(await call('POST', `/subscription/resend/${sub.id}`, as(a), body), 400);
        }
        // A delivery of another subscription (mine too) or one that does not exist: 404, nothing sent.
        const [theirs] = (await log(a, other.id)).deliveries;
        expectError(await call('POST', `/subscription/resend/${sub.id}`, as(a), { 'delivery-id': theirs!['delivery-id'] }), 404);
        expectError(await call('POST', `/subscription/resend/${sub.id}`, as(a), { 'delivery-id': 987_654_321 }), 404);
        await settle(h);
        expect(h.receiver.at(sub.path)).toHaveLength(6);
        expect(h.receiver.at(other.path)).toHaveLength(3);
      });

      it("another customer's subscription and deliveries are not found, and nothing is re-sent", async () => {
        const theirs = await subscribe(b, { 'serial-numbers': [b.c1.serialNumber], 'event-types': ['data-change'] });
        await readings(b.t.ingestKey, ['S11', 2901]);
        await waitHits(theirs.path, 1);
        await settle(h);
        const [delivery] = (await log(b, theirs.id)).deliveries;
        const mine = await subscribe(a, { 'serial-numbers': [a.c2.serialNumber], 'event-types': ['data-change'] });
        expectError(await call('GET', `/subscription/deliveries/${theirs.id}`, as(a)), 404);
        expectError(await call('POST', `/subscription/resend/${theirs.id}`, as(a), { 'delivery-id': delivery!['delivery-id'] }), 404);
        expectError(await call('POST', `/subscription/resend/${theirs.id}`, as(a), { start: at(h.clock.now() - DAY), end: at(h.clock.now() + 1) }), 404);
        expectError(await call('POST', `/subscription/resend/${mine.id}`, as(a), { 'delivery-id': delivery!['delivery-id'] }), 404);
        await settle(h);
        expect(h.receiver.at(theirs.path)).toHaveLength(1);
        expect((await log(b, theirs.id)).deliveries).toEqual([delivery]);
      });
    });

    describe('expiry', () => {
      it('an expired subscription is listed as expired, queues nothing and receives nothing', async () => {
        const old = await subscribe(a, { 'serial-numbers': [a.c1.serialNumber] });
        h.clock.advance(LIFETIME + 1);
        const control = await subscribe(a, { 'serial-numbers': [a.c1.serialNumber] });
        const listed = await list(a);
        expect(listed.find((s) => s['subscription-id'] === old.id)).toMatchObject({ status: 'expired', 'expires-at': old.created['expires-at'] });
        expect(listed.find((s) => s['subscription-id'] === control.id)).toMatchObject({ status: 'active' });
        expect(await getSub(a, old.id)).toMatchObject({ status: 'expired' });

        await readings(a.t.ingestKey, ['S11', 2301]);
        await alarm(a.t.ingestKey, 'raise', 60, 'S11');
        await waitHits(control.path, 2);
        await settle(h);
        expect(h.receiver.at(old.path)).toEqual([]);
        expect(await deliveriesOf(old.id)).toBe(0);
        await alarm(a.t.ingestKey, 'clear', 60, 'S11');
        // Still shown until cancelled; then gone.
        expectStatus(await call('DELETE', `/subscription/cancel/${old.id}`, as(a)), 200);
        expect((await list(a)).map((s) => s['subscription-id'])).not.toContain(old.id);
      });

      it('a renewed subscription keeps receiving past its first expiry', async () => {
        const sub = await subscribe(a, { 'serial-numbers': [a.c2.serialNumber], 'event-types': ['data-change'] });
        h.clock.advance(LIFETIME - HOUR);
        expectStatus(await call('POST', `/subscription/renew/${sub.id}`, as(a)), 200);
        h.clock.advance(2 * HOUR);
        expect(await getSub(a, sub.id)).toMatchObject({ status: 'active' });
        await readings(a.c2Key, ['S11', 2401]);
        await waitHits(sub.path, 1);
        verifyStandard(sub.secret, h.receiver.at(sub.path)[0]!);
      });

      it('a subscription whose deliveries fail for three days shows status disabled and why, and queues nothing more', async () => {
        const sub = await subscribe(a, { 'serial-numbers': [a.c2.serialNumber], 'event-types': ['data-change'] });
        h.receiver.always(sub.path, 500);
        await readings(a.c2Key, ['S11', 2601]);
        await waitHits(sub.path, 1);
        await settle(h);
        h.clock.advance(3 * DAY + HOUR);
        await settle(h);
        await waitFor('the subscription to be disabled', async () => (await getSub(a, sub.id)).status === 'disabled');
        const got = await getSub(a, sub.id);
        expect(Object.keys(got).sort()).toEqual([...SUBSCRIPTION_KEYS, 'disabled-reason'].sort());
        expect(got).toMatchObject({ status: 'disabled', 'expires-at': sub.created['expires-at'] });
        expect(got['disabled-reason']).toMatch(/fail/i);
        expect((await list(a)).find((s) => s['subscription-id'] === sub.id)).toEqual(got);
        await readings(a.c2Key, ['S11', 2602]);
        expect(await deliveriesOf(sub.id)).toBe(1);
        h.receiver.always(sub.path, null);
        expectStatus(await call('DELETE', `/subscription/${sub.id}`, as(a)), 200);
      });

      it('retries queued before expiry are not sent once the subscription has expired', async () => {
        const sub = await subscribe(a, { 'serial-numbers': [a.c2.serialNumber], 'event-types': ['data-change'] });
        h.receiver.always(sub.path, 503);
        await readings(a.c2Key, ['S11', 2501]);
        await waitHits(sub.path, 1);
        await settle(h);
        h.clock.advance(LIFETIME + HOUR);
        expect(await getSub(a, sub.id)).toMatchObject({ status: 'expired' });
        h.worker.poke();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await settle(h);
        expect(h.receiver.at(sub.path), 'POSTs to a subscription after it expired').toHaveLength(1);
        h.receiver.always(sub.path, null);
      });
    });

    describe('bad input', () => {
      it('create answers 400 {"error"} naming the problem, never 500, and creates nothing', async () => {
        const url = h.receiver.url(nextPath('bad'));
        const base = { 'callback-url': url, 'event-types': ['data-change'] };
        const cases: [body: unknown, message: RegExp][] = [
          [{ ...base, 'event-types': ['reading-change'] }, /Unknown event type "reading-change"/],
          [{ ...base, 'event-types': ['data-change', 'Alarm'] }, /Unknown event type "Alarm"/],
          [{ ...base, 'event-types': [] }, /event-types/],
          [{ ...base, 'event-types': 'alarm' }, /event-types/],
          [{ ...base, 'event-types': [1] }, /event-types/],
          [{ 'callback-url': url }, /event-types/],
          [{ ...base, 'serial-numbers': ['0000000000'] }, /Unknown controller serial number "0000000000"/],
          [{ ...base, 'serial-numbers': [a.c1.serialNumber, b.c1.serialNumber] }, new RegExp(`Unknown controller serial number "${b.c1.serialNumber}"`)],
          [{ ...base, 'serial-numbers': ['19\u000000'] }, /Unknown controller serial number/],
          [{ ...base, 'serial-numbers': [''] }, /serial-numbers/],
          [{ ...base, 'serial-numbers': [1903291361] }, /serial-numbers/],
          [{ ...base, 'serial-numbers': 'x'.repeat(10) }, /serial-numbers/],
          [{ ...base, 'process-ids': [987_654_321] }, /Unknown process 987654321/],
          [{ ...base, 'process-ids': [a.p1.id, b.p1.id] }, new RegExp(`Unknown process ${b.p1.id}\\b`)],
          [{ ...base, 'process-ids': [String(a.p1.id)] }, /process-ids/],
          [{ ...base, 'process-ids': [0] }, /process-ids/],
          [{ ...base, 'process-ids': [1.5] }, /process-ids/],
          [{ ...base, 'process-ids': [2 ** 53] }, /process-ids/],
          [{ ...base, 'callback-url': 'ftp://hooks.example.com/x' }, /http:\/\/ or https:\/\//],
          [{ ...base, 'callback-url': 'hooks.example.com/x' }, /not a URL/],
          [{ ...base, 'callback-url': 'https://user:pw@hooks.example.com/x' }, /credentials/],
          [{ ...base, 'callback-url': 'http://10.0.0.1/x' }, /private, loopback or link-local/],
          [{ ...base, 'callback-url': 'http://169.254.169.254/latest' }, /private, loopback or link-local/],
          [{ ...base, 'callback-url': '' }, /callback-url/],
          [{ 'event-types': ['alarm'] }, /callback-url/],
          [{ ...base, callbackUrl: url }, /additional propert/],
          [{ ...base, secret: 'whsec_mine' }, /additional propert/],
          [{ ...base, 'expires-at': '2099-01-01T00:00:00Z' }, /additional propert/],
          [[base], /body/],
        ];
        const before = (await h.store.listWebhookEndpoints(PLATFORM_SCOPE, { kind: 'fluent' })).length;
        for (const [body, message] of cases) {
          const res = await call('POST', '/subscription/create/', as(a), body);
          expectError(res, 400, message);
        }
        // Loopback needs the operator's allowance.
        expectError(await call('POST', '/subscription/create/', as(a), base, h.strictApp), 400, /private, loopback or link-local.*not allowed by this server's settings/);
        // A foreign serial reads exactly like an unknown one of the same length.
        const foreign = expectError(await call('POST', '/subscription/create/', as(a), { ...base, 'serial-numbers': [b.c2.serialNumber] }), 400);
        const unknown = expectError(await call('POST', '/subscription/create/', as(a), { ...base, 'serial-numbers': ['9'.repeat(b.c2.serialNumber.length)] }), 400);
        expect(foreign.replace(b.c2.serialNumber, '<serial>')).toBe(unknown.replace('9'.repeat(b.c2.serialNumber.length), '<serial>'));
        // Not JSON at all.
        expectError(await h.app.inject({ method: 'POST', url: '/subscription/create/', headers: { ...as(a), 'content-type': 'application/json' }, payload: '{"callback-url":' }), 400);
        expect((await h.store.listWebhookEndpoints(PLATFORM_SCOPE, { kind: 'fluent' })).length).toBe(before);
      });

      it('names the unknown field it refuses', async () => {
        for (const field of ['callbackUrl', 'expires-at']) {
          const message = expectError(
            await call('POST', '/subscription/create/', as(a), { 'callback-url': h.receiver.url(nextPath('bad')), 'event-types': ['alarm'], [field]: 'x' }),
            400,
            /additional propert/,
          );
          expect(message, 'which field?').toContain(field);
        }
      });

      it('ids that are not ids answer 400 or 404 {"error"}, never 500; missing and foreign ones answer the same 404', async () => {
        const theirs = await subscribe(b);
        let missing = 10 ** String(theirs.id).length - 1;
        while (await h.store.getWebhookEndpoint(PLATFORM_SCOPE, missing)) missing -= 1;
        for (const [method, route] of [
          ['GET', '/subscription/'],
          ['POST', '/subscription/renew/'],
          ['POST', '/subscription/rotate-secret/'],
          ['DELETE', '/subscription/cancel/'],
          ['DELETE', '/subscription/'],
        ] as const) {
          for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
            const res = await call(method, `${route}${bad}`, as(a));
            expect([400, 404], `${method} ${route}${bad}: ${res.body}`).toContain(res.statusCode);
            expectError(res, res.statusCode);
          }
          const foreign = await call(method, `${route}${theirs.id}`, as(a));
          const absent = await call(method, `${route}${missing}`, as(a));
          expectError(foreign, 404);
          expect(foreign.body.replace(String(theirs.id), '<id>')).toBe(absent.body.replace(String(missing), '<id>'));
        }
        expect(await getSub(b, theirs.id)).toEqual({ ...theirs.created, secret: undefined });
      });

      it('every subscription route asks for credentials: 401 {"error"} with the DRF message', async () => {
        const sub = await subscribe(a);
        // Every route of the app under /subscription, whatever is added later.
        const routes = registeredRoutes(h.app).filter((r) => r.split(' ')[1]!.startsWith('/subscription'));
        expect(routes).toEqual(
          expect.arrayContaining([
            'DELETE /subscription/:id',
            'DELETE /subscription/cancel/:id',
            'GET /subscription/:id',
            'GET /subscription/deliveries/:id',
            'GET /subscription/list',
            'POST /subscription/create',
            'POST /subscription/renew/:id',
            'POST /subscription/resend/:id',
            'POST /subscription/rotate-secret/:id',
          ]),
        );
        for (const route of routes) {
          const [method, path] = route.split(' ') as [Method, string];
          const url = path.replace(/:\w+(\([^)]*\))?/g, String(sub.id));
          const payload = method === 'POST' ? { 'callback-url': h.receiver.url('/x'), 'event-types': ['alarm'], 'delivery-id': 1 } : undefined;
          expectError(await call(method, url, {}, payload), 401, NO_CREDENTIALS);
          expect((await call(method, url, {}, payload)).headers['www-authenticate']).toBe('Token');
          expectError(await call(method, url, { authorization: 'Token 00000000-0000-4000-8000-000000000000' }, payload), 401, 'Invalid token.');
        }
        expect(await getSub(a, sub.id)).toEqual({ ...sub.created, secret: undefined });
      });
    });
  });
}

