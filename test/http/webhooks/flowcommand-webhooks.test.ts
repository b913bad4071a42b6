import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import { formatIsoSeconds } from '../../../src/domain/time.js';
import { basic } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories } from '../../helpers/stores.js';
import { registeredRoutes } from '../support.js';
import {
  addFlowSensor,
  DAY,
  expectStatus,
  HOUR,
  ingest,
  iso,
  MINUTE,
  SECOND,
  settle,
  verifyStandard,
  waitFor,
  type FlowSensorFixture,
  type Harness,
  startHarness,
} from './support.js';

/**
 * The FlowCommand webhooks API (`/api/v1/webhooks/…`, issue 13) end to end, on every store:
 * every route's shapes and statuses in Django REST style, validation, a real receiver on
 * 127.0.0.1 fed by a real delivery worker (payload, FC-Signature, Standard Webhooks
 * signatures checked with the `standardwebhooks` package), the delivery log and re-sends,
 * enabling and disabling, and tenant isolation on every route of the app under
 * /api/v1/webhooks (a table keyed by the registered routes).
 */

const FC = '/api/v1';
const NOT_FOUND = 'Not found.';
const NO_CREDENTIALS = 'Authentication credentials were not provided.';
const WEBHOOK_KEYS = ['id', 'url', 'enabled', 'event_types', 'disabled_reason', 'failing_since', 'created_at', 'updated_at'];
const DELIVERY_KEYS = [
  'id',
  'webhook_id',
  'event_type',
  'status',
  'attempts',
  'response_code',
  'latency_ms',
  'last_error',
  'created_at',
  'last_attempt_at',
  'next_attempt_at',
  'delivered_at',
];
const SECRET = /^whsec_[A-Za-z0-9+/]{32}$/;
const fcTime = (ms: number) => formatIsoSeconds(ms);

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type User = TenantFixture['user'];

interface Tenant {
  t: TenantFixture;
  north: FlowSensorFixture;
  south: FlowSensorFixture;
}

interface Hook {
  id: number;
  secret: string;
  path: string;
  created: Json;
}

interface Delivery {
  id: number;
  webhook_id: string;
  event_type: string;
  status: string;
  attempts: number;
  response_code: number | null;
  latency_ms: number | null;
  last_error: string | null;
  created_at: string;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
}

interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

const AUTHS: Record<string, (u: User) => Record<string, string>> = {
  'Token header': (u) => ({ authorization: `Token ${u.token}` }),
  'Basic e-mail:token': (u) => ({ authorization: basic(u.email, u.token) }),
};

function expectDetail(res: LightMyRequestResponse, status: number, detail?: string | RegExp): string {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as Json;
  expect(Object.keys(body), res.body).toEqual(['detail']);
  expect(typeof body.detail).toBe('string');
  if (typeof detail === 'string') expect(body.detail).toBe(detail);
  else if (detail) expect(body.detail).toMatch(detail);
  if (status === 401) expect(res.headers['www-authenticate']).toBe('Token');
  return body.detail as string;
}

/** A route as registered (`/api/v1/webhooks/:id(^\d+)/…`) with real ids, DRF's trailing slash included. */
function concrete(route: string, id: number | string, delivery: number | string = 1): string {
  return `${route.replace(':id(^\\d+)', String(id)).replace(':delivery(^\\d+)', String(delivery))}/`;
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: FlowCommand webhooks API`, () => {
    let h: Harness;
    let a: Tenant;
    let b: Tenant;
    let paths = 0;
    let pingAt = 0;

    const nextPath = (label = 'hook') => `/fc/${label}-${++paths}`;

    async function tenant(name: string): Promise<Tenant> {
      const t = await createTenant(h.store, name);
      return { t, north: await addFlowSensor(h.store, t.facility.id, `${name} North`, 'north'), south: await addFlowSensor(h.store, t.facility.id, `${name} South`) };
    }

    function call(method: Method, url: string, headers: Record<string, string>, payload?: unknown, app = h.app) {
      return app.inject({ method, url: url.startsWith('/api/') ? url : `${FC}${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    }
    const as = (t: Tenant) => AUTHS['Token header']!(t.t.user);

    async function createHook(t: Tenant, path = nextPath(), extra: Json = {}): Promise<Hook> {
      const res = await call('POST', '/webhooks/', as(t), { url: h.receiver.url(path), ...extra });
      expectStatus(res, 201);
      const created = res.json() as Json;
      return { id: created.id as number, secret: created.secret as string, path, created };
    }

    /** Pings of a sensor through the ingest API, one second apart; returns their times. */
    async function ping(sensor: FlowSensorFixture, ...values: number[]): Promise<number[]> {
      const times = values.map(() => (pingAt += SECOND));
      await ingest(h.app, sensor.ingestKey, { readings: values.map((value, i) => ({ channel: 'S1', time: iso(times[i]!), value })) });
      return times;
    }

    async function deliveries(t: Tenant, hook: Hook, query = ''): Promise<Page<Delivery>> {
      const res = await call('GET', `/webhooks/${hook.id}/deliveries/${query}`, as(t));
      expectStatus(res, 200);
      return res.json() as Page<Delivery>;
    }

    async function pingsOf(t: Tenant, sensor: FlowSensorFixture): Promise<Json[]> {
      const res = await call('GET', `/flow_sensors/${sensor.controller.id}/pings/`, as(t));
      expectStatus(res, 200);
      return (res.json() as Page<Json>).results;
    }

    async function getHook(t: Tenant, id: number): Promise<Json> {
      const res = await call('GET', `/webhooks/${id}/`, as(t));
      expectStatus(res, 200);
      return res.json() as Json;
    }

    const waitHits = (path: string, n: number) => waitFor(`${n} POSTs at ${path}`, () => h.receiver.at(path).length >= n);

    /** Everything about an endpoint that a request could change, read beside the API. */
    async function snapshot(id: number) {
      return {
        endpoint: await h.store.getWebhookEndpoint(PLATFORM_SCOPE, id),
        secret: await h.store.getWebhookSecret(PLATFORM_SCOPE, id),
        deliveries: await h.store.listDeliveries(PLATFORM_SCOPE, id, { limit: 1000 }),
      };
    }

    /** An endpoint id that does not exist. */
    async function missingId(): Promise<number> {
      let id = 987_654;
      while (await h.store.getWebhookEndpoint(PLATFORM_SCOPE, id)) id += 1;
      return id;
    }

    beforeAll(async () => {
      h = await startHarness(factory);
      pingAt = h.clock.now() - DAY;
      a = await tenant('Apex Oil');
      b = await tenant('Basin Water');
    });
    afterAll(async () => {
      await h?.close();
    });

    describe('routes and shapes', () => {
      it('POST answers 201 with the endpoint and its secret, shown once and never again', async () => {
        const url = h.receiver.url(nextPath());
        const res = await call('POST', '/webhooks/', as(a), { url });
        expectStatus(res, 201);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const created = res.json() as Json;
        expect(Object.keys(created)).toEqual([...WEBHOOK_KEYS, 'secret']);
        expect(created).toEqual({
          id: expect.any(Number),
          url,
          enabled: true,
          event_types: ['ping_received'],
          disabled_reason: null,
          failing_since: null,
          created_at: fcTime(h.clock.now()),
          updated_at: fcTime(h.clock.now()),
          secret: expect.stringMatching(SECRET),
        });
        const id = created.id as number;
        const secret = created.secret as string;

        // GET, the list, PUT, PATCH and the delivery log: the same endpoint, never its secret.
        const { secret: _shown, ...withoutSecret } = created;
        const got = await call('GET', `/webhooks/${id}/`, as(a));
        expectStatus(got, 200);
        expect(Object.keys(got.json() as Json)).toEqual(WEBHOOK_KEYS);
        expect(got.json()).toEqual(withoutSecret);
        const list = await call('GET', '/webhooks/', as(a));
        expectStatus(list, 200);
        expect((list.json() as Page<Json>).results.find((w) => w.id === id)).toEqual(withoutSecret);
        const put = await call('PUT', `/webhooks/${id}/`, as(a), { url });
        const patch = await call('PATCH', `/webhooks/${id}/`, as(a), { enabled: true });
        const log = await call('GET', `/webhooks/${id}/deliveries/`, as(a));
        for (const r of [got, list, put, patch, log]) {
          expectStatus(r, 200);
          expect(r.body).not.toContain(secret);
          expect(r.body).not.toContain('secret');
        }
        // Two endpoints never share a secret.
        const other = await createHook(a);
        expect(other.secret).toMatch(SECRET);
        expect(other.secret).not.toBe(secret);
        // Created disabled on request.
        const off = await call('POST', '/webhooks/', as(a), { url: h.receiver.url(nextPath()), enabled: false });
        expectStatus(off, 201);
        expect(off.json()).toMatchObject({ enabled: false, disabled_reason: null });
      });

      it('GET /webhooks/ is the DRF envelope of your endpoints by id, with DRF page numbers', async () => {
        const c = await tenant('Cobalt Pipeline');
        const empty = await call('GET', '/webhooks/', as(c));
        expectStatus(empty, 200);
        expect(empty.json()).toEqual({ count: 0, next: null, previous: null, results: [] });
        const made = [await createHook(c), await createHook(c), await createHook(c)];
        const res = await call('GET', '/webhooks/', as(c));
        expectStatus(res, 200);
        const body = res.json() as Page<Json>;
        expect(Object.keys(body)).toEqual(['count', 'next', 'previous', 'results']);
        expect(body.count).toBe(3);
        expect(body.next).toBeNull();
        expect(body.previous).toBeNull();
        expect(body.results.map((w) => w.id)).toEqual(made.map((m) => m.id));
        for (const w of body.results) expect(Object.keys(w)).toEqual(WEBHOOK_KEYS);
        expect((await call('GET', '/webhooks/?page=1', as(c))).json()).toEqual(body);
        expect((await call('GET', '/webhooks/?page=last', as(c))).json()).toEqual(body);
        expectDetail(await call('GET', '/webhooks/?page=2', as(c)), 404, 'Invalid page.');
        expectDetail(await call('GET', '/webhooks/?page=zero', as(c)), 404, 'Invalid page.');
        // Without the trailing slash too (the face ignores it).
        expect((await call('GET', '/webhooks', as(c))).json()).toEqual(body);
      });

      it('the delivery log pages by 1000 in the DRF envelope, newest first, with absolute next/previous links', async () => {
        // A customer of its own, so that no other endpoint hears these pings.
        const d = await tenant('Delta Flow');
        const hook = await createHook(d);
        await ping(d.south, ...Array.from({ length: 1001 }, (_, i) => i));
        await waitHits(hook.path, 1001);
        await settle(h);
        const host = 'flow.example.com';
        const base = `http://${host}${FC}/webhooks/${hook.id}/deliveries/`;
        const get = (query: string) => call('GET', `/webhooks/${hook.id}/deliveries/${query}`, { ...as(d), host });
        const first = (await get('')).json() as Page<Delivery>;
        expect({ ...first, results: first.results.length }).toEqual({ count: 1001, next: `${base}?page=2`, previous: null, results: 1000 });
        const second = (await get('?page=2')).json() as Page<Delivery>;
        expect({ ...second, results: second.results.length }).toEqual({ count: 1001, next: null, previous: base, results: 1 });
        const ids = [...first.results, ...second.results].map((x) => x.id);
        expect(ids).toEqual([...ids].sort((x, y) => y - x));
        expect(new Set(ids).size).toBe(1001);
        expect(first.results.every((x) => x.status === 'delivered' && x.attempts === 1 && x.response_code === 200)).toBe(true);
        expect((await get('?page=last')).json()).toEqual(second);
        expectDetail(await get('?page=3'), 404, 'Invalid page.');
        expectDetail(await get('?page=0'), 404, 'Invalid page.');
      });

      it('PUT replaces, PATCH changes only what it names; both stamp updated_at and never show the secret', async () => {
        const hook = await createHook(a);
        h.clock.advance(MINUTE);
        const url2 = h.receiver.url(nextPath('moved'));
        const put = await call('PUT', `/webhooks/${hook.id}/`, as(a), { url: url2, enabled: false });
        expectStatus(put, 200);
        expect(Object.keys(put.json() as Json)).toEqual(WEBHOOK_KEYS);
        expect(put.json()).toEqual({ ...hook.created, secret: undefined, url: url2, enabled: false, updated_at: fcTime(h.clock.now()) });
        expect(await getHook(a, hook.id)).toEqual(put.json());

        // PUT needs the whole resource: url is required.
        expectDetail(await call('PUT', `/webhooks/${hook.id}/`, as(a), { enabled: true }), 400, /url/);

        h.clock.advance(MINUTE);
        const patched = await call('PATCH', `/webhooks/${hook.id}/`, as(a), { enabled: true });
        expectStatus(patched, 200);
        expect(patched.json()).toEqual({ ...(put.json() as Json), enabled: true, updated_at: fcTime(h.clock.now()) });
        const url3 = h.receiver.url(nextPath('again'));
        const patched2 = await call('PATCH', `/webhooks/${hook.id}/`, as(a), { url: url3 });
        expectStatus(patched2, 200);
        expect(patched2.json()).toEqual({ ...(patched.json() as Json), url: url3 });
        const noop = await call('PATCH', `/webhooks/${hook.id}/`, as(a), {});
        expectStatus(noop, 200);
        expect(noop.json()).toEqual(patched2.json());
        // The secret is untouched by either.
        expect(h.secrets.open((await h.store.getWebhookSecret(PLATFORM_SCOPE, hook.id))!)).toBe(hook.secret);
      });

      it('DELETE answers 204 with no body; the endpoint, its log and its routes are gone', async () => {
        const hook = await createHook(a);
        await ping(a.north, 12);
        await waitHits(hook.path, 1);
        await settle(h);
        const res = await call('DELETE', `/webhooks/${hook.id}/`, as(a));
        expect(res.statusCode, res.body).toBe(204);
        expect(res.body).toBe('');
        expectDetail(await call('GET', `/webhooks/${hook.id}/`, as(a)), 404, NOT_FOUND);
        expectDetail(await call('GET', `/webhooks/${hook.id}/deliveries/`, as(a)), 404, NOT_FOUND);
        expectDetail(await call('DELETE', `/webhooks/${hook.id}/`, as(a)), 404, NOT_FOUND);
        expect((await call('GET', '/webhooks/', as(a))).json().results.map((w: Json) => w.id)).not.toContain(hook.id);
        expect(await h.store.listDeliveries(PLATFORM_SCOPE, hook.id, { limit: 10 })).toEqual([]);
        // Pings after the delete reach nobody at that URL.
        await ping(a.north, 13);
        await settle(h);
        expect(h.receiver.at(hook.path)).toHaveLength(1);
      });

      it('rotate_secret answers a new secret once; later deliveries (re-sends too) carry it in FC-Signature and are signed with it', async () => {
        const hook = await createHook(a);
        await ping(a.north, 21);
        await waitHits(hook.path, 1);
        const first = h.receiver.at(hook.path)[0]!;
        expect(first.headers['fc-signature']).toBe(hook.secret);
        verifyStandard(hook.secret, first);

        const res = await call('POST', `/webhooks/${hook.id}/rotate_secret/`, as(a));
        expectStatus(res, 200);
        expect(Object.keys(res.json() as Json)).toEqual(['secret']);
        const rotated = (res.json() as { secret: string }).secret;
        expect(rotated).toMatch(SECRET);
        expect(rotated).not.toBe(hook.secret);
        // Shown only now.
        expect((await call('GET', `/webhooks/${hook.id}/`, as(a))).body).not.toContain(rotated);

        await ping(a.north, 22);
        await waitHits(hook.path, 2);
        const second = h.receiver.at(hook.path)[1]!;
        expect(second.headers['fc-signature']).toBe(rotated);
        expect(verifyStandard(rotated, second)).toEqual(JSON.parse(second.body));
        expect(() => verifyStandard(hook.secret, second)).toThrow();

        // A re-send of the delivery made before the rotation is signed with the new secret.
        const log = await deliveries(a, hook);
        const old = log.results.find((d) => d.webhook_id === first.headers['webhook-id'])!;
        expectStatus(await call('POST', `/webhooks/${hook.id}/deliveries/${old.id}/resend/`, as(a)), 202);
        await waitHits(hook.path, 3);
        const resent = h.receiver.at(hook.path)[2]!;
        expect(resent.headers['webhook-id']).toBe(first.headers['webhook-id']);
        expect(resent.headers['fc-signature']).toBe(rotated);
        verifyStandard(rotated, resent);
        expect(() => verifyStandard(hook.secret, resent)).toThrow();
      });
    });

    describe('validation', () => {
      const BAD_URLS: [url: unknown, detail: RegExp][] = [
        ['ftp://hooks.example.com/x', /http:\/\/ or https:\/\//],
        ['javascript:alert(1)', /http:\/\/ or https:\/\//],
        ['file:///etc/passwd', /http:\/\/ or https:\/\//],
        ['hooks.example.com/x', /not a URL/],
        ['https://', /not a URL/],
        ['', /url/],
        ['https://user:secret@hooks.example.com/x', /credentials/],
        ['https://user@hooks.example.com/x', /credentials/],
        [`https://hooks.example.com/${'x'.repeat(2000)}`, /url/],
        [42, /url/],
        [null, /url/],
      ];
      const PRIVATE_URLS = [
        'http://127.0.0.1:9/x',
        'http://127.8.9.10/x',
        'http://[::1]:9/x',
        'http://10.1.2.3/x',
        'http://172.16.0.1/x',
        'http://192.168.1.10/x',
        'http://169.254.169.254/latest/meta-data/',
        'http://0.0.0.0/x',
        'http://[fe80::1]/x',
        'http://[fd00::1]/x',
        'http://[::ffff:127.0.0.1]/x',
        'http://2130706433/x',
        'http://0x7f.1/x',
        'http://100.64.0.1/x',
      ];

      async function countOf(t: Tenant) {
        return (await h.store.listWebhookEndpoints(PLATFORM_SCOPE, { kind: 'flowcommand' })).filter((e) => e.customerId === t.t.customer.id).length;
      }

      it('refuses non-http(s) URLs, URLs with credentials and malformed ones with 400 {"detail"}, on POST, PUT and PATCH', async () => {
        const hook = await createHook(a);
        const before = await snapshot(hook.id);
        const count = await countOf(a);
        for (const [url, detail] of BAD_URLS) {
          expectDetail(await call('POST', '/webhooks/', as(a), { url }), 400, detail);
          expectDetail(await call('PUT', `/webhooks/${hook.id}/`, as(a), { url }), 400, detail);
          expectDetail(await call('PATCH', `/webhooks/${hook.id}/`, as(a), { url }), 400, detail);
        }
        expect(await countOf(a)).toBe(count);
        expect(await snapshot(hook.id)).toEqual(before);
      });

      it('refuses private, loopback, link-local and metadata addresses unless WEBHOOK_ALLOWED_NETWORKS allows them', async () => {
        const hook = await createHook(a);
        const before = await snapshot(hook.id);
        const count = await countOf(a);
        const headers = as(a);
        for (const url of PRIVATE_URLS) {
          const detail = expectDetail(await call('POST', '/webhooks/', headers, { url }, h.strictApp), 400);
          expect(detail, url).toMatch(/private, loopback or link-local address, not allowed by this server's settings; ask your Flowline operator/);
          expect(detail, url).not.toMatch(/WEBHOOK_ALLOWED_NETWORKS/);
          expectDetail(await call('PATCH', `/webhooks/${hook.id}/`, headers, { url }, h.strictApp), 400, detail);
          expectDetail(await call('PUT', `/webhooks/${hook.id}/`, headers, { url }, h.strictApp), 400, detail);
        }
        // The app that allows 127.0.0.0/8 and ::1 still refuses the rest.
        for (const url of PRIVATE_URLS.filter((u) => !/127\.|::1\]|2130706433|0x7f/.test(u))) {
          expectDetail(await call('POST', '/webhooks/', headers, { url }), 400, /private, loopback or link-local/);
        }
        expect(await countOf(a)).toBe(count);
        expect(await snapshot(hook.id)).toEqual(before);
        // A public name is fine without any configuration (its addresses are checked when connecting).
        const ok = await call('POST', '/webhooks/', headers, { url: 'https://hooks.example.com/flowcommand?x=1' }, h.strictApp);
        expectStatus(ok, 201);
        expect(ok.json()).toMatchObject({ url: 'https://hooks.example.com/flowcommand?x=1' });
        expectStatus(await call('DELETE', `/webhooks/${(ok.json() as Json).id}/`, headers), 204);
      });

      it('refuses unknown body fields and wrong types with 400 (never 500), changing nothing', async () => {
        const hook = await createHook(a);
        const before = await snapshot(hook.id);
        const count = await countOf(a);
        const url = h.receiver.url(nextPath());
        const bodies: unknown[] = [
          { url, secret: 'whsec_mine' },
          { url, event_types: ['ping_received'] },
          { url, id: 1 },
          { url, disabled_reason: null },
          { url, enabled: 'yes' },
          { url, enabled: 1 },
          [url],
          'not json at all',
        ];
        for (const body of bodies) {
          const label = JSON.stringify(body);
          for (const [method, path] of [
            ['POST', '/webhooks/'],
            ['PUT', `/webhooks/${hook.id}/`],
            ['PATCH', `/webhooks/${hook.id}/`],
          ] as const) {
            const res = typeof body === 'string' ? await h.app.inject({ method, url: `${FC}${path}`, headers: { ...as(a), 'content-type': 'application/json' }, payload: body }) : await call(method, path, as(a), body);
            expect(res.statusCode, `${method} ${label}: ${res.body}`).toBe(400);
            expectDetail(res, 400);
          }
        }
        expectDetail(await call('POST', '/webhooks/', as(a), {}), 400, /url/);
        // resend with a body it does not know
        expectDetail(await call('POST', `/webhooks/${hook.id}/resend/`, as(a), { start: iso(h.clock.now() - HOUR), end: iso(h.clock.now()), force: true }), 400);
        expect(await countOf(a)).toBe(count);
        expect(await snapshot(hook.id)).toEqual(before);
      });

      it('names the unknown field it refuses', async () => {
        const hook = await createHook(a);
        const url = h.receiver.url(nextPath());
        for (const [method, path] of [
          ['POST', '/webhooks/'],
          ['PUT', `/webhooks/${hook.id}/`],
          ['PATCH', `/webhooks/${hook.id}/`],
        ] as const) {
          const detail = expectDetail(await call(method, path, as(a), { url, secret: 'whsec_mine' }), 400);
          expect(detail, `${method} ${path}`).toMatch(/additional propert/);
          expect(detail, `${method} ${path}: which field?`).toContain('secret');
        }
      });

      it('answers ids that are not ids, or too large, with the face\'s 404', async () => {
        for (const path of ['/webhooks/abc/', '/webhooks/1.5/', '/webhooks/-1/', '/webhooks/99999999999999999999/', '/webhooks/9007199254740993/deliveries/']) {
          expectDetail(await call('GET', path, as(a)), 404, NOT_FOUND);
        }
        const hook = await createHook(a);
        expectDetail(await call('POST', `/webhooks/${hook.id}/deliveries/99999999999999999999/resend/`, as(a)), 404, NOT_FOUND);
        expectDetail(await call('POST', `/webhooks/${hook.id}/deliveries/abc/resend/`, as(a)), 404, NOT_FOUND);
      });

      it("a Fluent subscription's id is not a FlowCommand endpoint: every route answers 404 and changes nothing", async () => {
        const created = await h.app.inject({ method: 'POST', url: '/subscription/create/', headers: as(a), payload: { 'callback-url': h.receiver.url(nextPath('fluent')), 'event-types': ['data-change'] } });
        expectStatus(created, 201);
        const id = (created.json() as Json)['subscription-id'] as number;
        await ingest(h.app, a.t.ingestKey, { readings: [{ channel: 'S11', time: iso((pingAt += SECOND)), value: 1 }] });
        await settle(h);
        const [delivery] = await h.store.listDeliveries(PLATFORM_SCOPE, id, { limit: 1 });
        expect(delivery).toBeDefined();
        h.clock.advance(SECOND);
        const before = await snapshot(id);
        const routes = registeredRoutes(h.app).filter((r) => r.split(' ')[1]!.startsWith(`${FC}/webhooks/:id`));
        expect(routes.length).toBeGreaterThanOrEqual(8);
        for (const route of routes) {
          const [method, path] = route.split(' ') as [Method, string];
          const payload = method === 'GET' || method === 'DELETE' ? undefined : path.endsWith('/resend') && !path.includes('deliveries') ? { start: iso(h.clock.now() - DAY), end: iso(h.clock.now() + SECOND) } : method === 'POST' ? undefined : { url: h.receiver.url('/hijacked'), enabled: false };
          expectDetail(await call(method, concrete(path, id, delivery!.id), as(a), payload), 404, NOT_FOUND);
        }
        expect((await call('GET', '/webhooks/', as(a))).json().results.map((w: Json) => w.id)).not.toContain(id);
        await settle(h);
        expect(await snapshot(id)).toEqual(before);
      });

      it('asks for credentials on every route (401, DRF message, WWW-Authenticate: Token) and checks them first', async () => {
        const hook = await createHook(a);
        const routes = registeredRoutes(h.app).filter((r) => r.split(' ')[1]!.startsWith(`${FC}/webhooks`));
        expect(routes.length).toBeGreaterThanOrEqual(10);
        for (const route of routes) {
          const [method, path] = route.split(' ') as [Method, string];
          for (const id of [hook.id, await missingId()]) {
            const url = concrete(path, id, 1);
            const payload = method === 'GET' || method === 'DELETE' ? undefined : { url: h.receiver.url('/x') };
            expectDetail(await call(method, url, {}, payload), 401, NO_CREDENTIALS);
            expectDetail(await call(method, url, { authorization: 'Token 00000000-0000-4000-8000-000000000000' }, payload), 401, 'Invalid token.');
          }
        }
        expect(await getHook(a, hook.id)).toEqual({ ...hook.created, secret: undefined });
      });
    });

    describe('end to end, with a real receiver', () => {
      it('every ping of a flow sensor is POSTed as ping_received with FC-Signature and verifiable Standard Webhooks headers; the log shows each', async () => {
        const hook = await createHook(a);
        const times = await ping(a.north, 1234.5, 0);
        await ping(a.south, 17);
        // A reading of a controller that is not a flow sensor is no ping.
        await ingest(h.app, a.t.ingestKey, { readings: [{ channel: 'S11', time: iso(h.clock.now() - MINUTE), value: 1500 }] });
        await waitHits(hook.path, 3);
        await settle(h);
        const hits = h.receiver.at(hook.path);
        expect(hits).toHaveLength(3);

        const rows = [...(await pingsOf(a, a.north)), ...(await pingsOf(a, a.south))];
        const log = await deliveries(a, hook);
        expect(log.count).toBe(3);
        expect(log.next).toBeNull();
        expect(log.previous).toBeNull();
        for (const hit of hits) {
          expect(hit.headers['content-type']).toMatch(/^application\/json/);
          expect(hit.headers['fc-signature']).toBe(hook.secret);
          const body = JSON.parse(hit.body) as { type: string; api_version: string; data: { id: number } };
          expect(Object.keys(body)).toEqual(['type', 'api_version', 'data']);
          const row = rows.find((p) => p.id === body.data.id);
          expect(row, `ping ${body.data.id} on the pings endpoint`).toBeDefined();
          // Exactly the fields of the pings endpoint, in its order.
          expect(hit.body).toBe(JSON.stringify({ type: 'ping_received', api_version: '1', data: row }));
          expect(verifyStandard(hook.secret, hit)).toEqual(body);
          expect(() => verifyStandard(`whsec_${Buffer.alloc(24, 7).toString('base64')}`, hit)).toThrow();
          expect(hit.headers['webhook-timestamp']).toBe(String(Math.floor(h.clock.now() / SECOND)));
          const d = log.results.find((x) => x.webhook_id === hit.headers['webhook-id']);
          expect(d, 'a log entry per webhook-id').toBeDefined();
          expect(Object.keys(d!)).toEqual(DELIVERY_KEYS);
          expect(d).toEqual({
            id: expect.any(Number),
            webhook_id: hit.headers['webhook-id'],
            event_type: 'ping_received',
            status: 'delivered',
            attempts: 1,
            response_code: 200,
            latency_ms: expect.any(Number),
            last_error: null,
            created_at: fcTime(h.clock.now()),
            last_attempt_at: fcTime(h.clock.now()),
            next_attempt_at: null,
            delivered_at: fcTime(h.clock.now()),
          });
          expect(d!.latency_ms).toBeGreaterThanOrEqual(0);
        }
        expect(new Set(hits.map((x) => x.headers['webhook-id'])).size).toBe(3);
        // Newest first.
        expect(log.results.map((d) => d.id)).toEqual([...log.results.map((d) => d.id)].sort((x, y) => y - x));
        const north = hits.map((x) => JSON.parse(x.body) as { data: { sensor_id: number; flowrate: number; datetime: string } }).filter((x) => x.data.sensor_id === a.north.controller.id);
        expect(north.map((x) => [x.data.flowrate, x.data.datetime]).sort()).toEqual([
          [0, fcTime(times[1]!)],
          [1234.5, fcTime(times[0]!)],
        ]);
      });

      it('the log shows failures: response code, error, next attempt; a retry keeps the webhook-id; a 4xx is final', async () => {
        const hook = await createHook(a);
        h.receiver.answer(hook.path, 503);
        await ping(a.north, 31);
        await waitHits(hook.path, 1);
        await settle(h);
        let [d] = (await deliveries(a, hook)).results;
        expect(d).toMatchObject({ status: 'pending', attempts: 1, response_code: 503, last_error: 'HTTP 503', delivered_at: null, last_attempt_at: fcTime(h.clock.now()) });
        expect(Date.parse(d!.next_attempt_at!)).toBeGreaterThan(h.clock.now());

        h.clock.advance(HOUR);
        await settle(h);
        await waitHits(hook.path, 2);
        [d] = (await deliveries(a, hook)).results;
        expect(d).toMatchObject({ status: 'delivered', attempts: 2, response_code: 200, last_error: null, next_attempt_at: null, delivered_at: fcTime(h.clock.now()) });
        const [first, second] = h.receiver.at(hook.path);
        expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
        expect(second!.body).toBe(first!.body);
        verifyStandard(hook.secret, second!);

        const gone = await createHook(a);
        h.receiver.always(gone.path, 410);
        await ping(a.north, 32);
        await waitHits(gone.path, 1);
        await settle(h);
        h.clock.advance(HOUR);
        await settle(h);
        expect(h.receiver.at(gone.path)).toHaveLength(1);
        expect((await deliveries(a, gone)).results).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, response_code: 410, last_error: 'HTTP 410', next_attempt_at: null, delivered_at: null })]);
        h.receiver.always(gone.path, null);
      });

      it('re-sends one delivery, and every delivery of a time range, with the same webhook-id and body', async () => {
        const hook = await createHook(a);
        const other = await createHook(a);
        await ping(a.north, 41);
        const t1 = h.clock.now();
        h.clock.advance(MINUTE);
        await ping(a.north, 42, 43);
        const t2 = h.clock.now();
        await waitHits(hook.path, 3);
        await settle(h);
        const log = (await deliveries(a, hook)).results;
        expect(log).toHaveLength(3);
        const byId = new Map(h.receiver.at(hook.path).map((x) => [String(x.headers['webhook-id']), x.body]));

        // One.
        h.clock.advance(MINUTE);
        const target = log.find((d) => d.created_at === fcTime(t1))!;
        const one = await call('POST', `/webhooks/${hook.id}/deliveries/${target.id}/resend/`, as(a));
        expectStatus(one, 202);
        expect(one.json()).toEqual({ resent: 1 });
        await waitHits(hook.path, 4);
        await settle(h);
        const again = h.receiver.at(hook.path)[3]!;
        expect(again.headers['webhook-id']).toBe(target.webhook_id);
        expect(again.body).toBe(byId.get(target.webhook_id));
        expect(again.headers['webhook-timestamp']).toBe(String(h.clock.now() / SECOND));
        verifyStandard(hook.secret, again);
        const after = (await deliveries(a, hook)).results.find((d) => d.id === target.id)!;
        expect(after).toMatchObject({ webhook_id: target.webhook_id, status: 'delivered', response_code: 200, delivered_at: fcTime(h.clock.now()), created_at: target.created_at });

        // A range: [start, end) of creation times; t2's two deliveries only.
        const range = await call('POST', `/webhooks/${hook.id}/resend/`, as(a), { start: iso(t2), end: iso(t2 + SECOND) });
        expectStatus(range, 202);
        expect(range.json()).toEqual({ resent: 2 });
        await waitHits(hook.path, 6);
        await settle(h);
        const resentIds = h.receiver.at(hook.path).slice(4).map((x) => String(x.headers['webhook-id']));
        expect(resentIds.sort()).toEqual(log.filter((d) => d.created_at === fcTime(t2)).map((d) => d.webhook_id).sort());
        for (const x of h.receiver.at(hook.path).slice(4)) {
          expect(x.body).toBe(byId.get(String(x.headers['webhook-id'])));
          verifyStandard(hook.secret, x);
        }
        // The other endpoint's deliveries were not touched.
        expect(h.receiver.at(other.path)).toHaveLength(3);

        // Empty and reversed ranges, bad times, missing fields.
        expect((await call('POST', `/webhooks/${hook.id}/resend/`, as(a), { start: iso(t2 + HOUR), end: iso(t2 + 2 * HOUR) })).json()).toEqual({ resent: 0 });
        expect((await call('POST', `/webhooks/${hook.id}/resend/`, as(a), { start: iso(t2), end: iso(t2) })).json()).toEqual({ resent: 0 });
        expectDetail(await call('POST', `/webhooks/${hook.id}/resend/`, as(a), { start: iso(t2), end: iso(t1) }), 400, /reversed/);
        expectDetail(await call('POST', `/webhooks/${hook.id}/resend/`, as(a), { start: 'yesterday', end: iso(t2) }), 400, /ISO 8601/);
        expectDetail(await call('POST', `/webhooks/${hook.id}/resend/`, as(a), { start: iso(t1) }), 400, /end/);
        expectDetail(await call('POST', `/webhooks/${hook.id}/resend/`, as(a)), 400);
        // A delivery that is not this endpoint's (another endpoint of mine) is not found here.
        const [foreignToHook] = (await deliveries(a, other)).results;
        expectDetail(await call('POST', `/webhooks/${hook.id}/deliveries/${foreignToHook!.id}/resend/`, as(a)), 404, NOT_FOUND);
        expectDetail(await call('POST', `/webhooks/${hook.id}/deliveries/987654321/resend/`, as(a)), 404, NOT_FOUND);
        await settle(h);
        expect(h.receiver.at(hook.path)).toHaveLength(6);
        expect(h.receiver.at(other.path)).toHaveLength(3);
      });

      it('an endpoint disabled by PATCH enabled=false gets nothing and queues nothing; enabled again, it gets later pings', async () => {
        const hook = await createHook(a);
        const control = await createHook(a);
        expectStatus(await call('PATCH', `/webhooks/${hook.id}/`, as(a), { enabled: false }), 200);
        await ping(a.north, 51, 52);
        await waitHits(control.path, 2);
        await settle(h);
        expect(h.receiver.at(hook.path)).toEqual([]);
        expect((await deliveries(a, hook)).count).toBe(0);

        const on = await call('PATCH', `/webhooks/${hook.id}/`, as(a), { enabled: true });
        expectStatus(on, 200);
        expect(on.json()).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
        await ping(a.north, 53);
        await waitHits(hook.path, 1);
        await settle(h);
        expect(h.receiver.at(hook.path).map((x) => (JSON.parse(x.body) as { data: { flowrate: number } }).data.flowrate)).toEqual([53]);
      });

      it('disabling an endpoint also stops its retries already queued: nothing is POSTed while it is disabled', async () => {
        const hook = await createHook(a);
        h.receiver.answer(hook.path, 503);
        await ping(a.north, 61);
        await waitHits(hook.path, 1);
        await settle(h);
        expect((await deliveries(a, hook)).results[0]).toMatchObject({ status: 'pending', attempts: 1 });
        expectStatus(await call('PATCH', `/webhooks/${hook.id}/`, as(a), { enabled: false }), 200);
        h.clock.advance(HOUR);
        h.worker.poke();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await settle(h);
        expect(h.receiver.at(hook.path), 'POSTs to an endpoint its owner disabled').toHaveLength(1);
        // Nor does a re-send asked for while it is disabled go out.
        const [d] = (await deliveries(a, hook)).results;
        expectStatus(await call('POST', `/webhooks/${hook.id}/deliveries/${d!.id}/resend/`, as(a)), 202);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await settle(h);
        expect(h.receiver.at(hook.path), 'a re-send to a disabled endpoint').toHaveLength(1);
      });

      it('an endpoint failing for three days is disabled with a reason its owner sees; enabling it again clears the reason', async () => {
        const hook = await createHook(a);
        h.receiver.always(hook.path, 500);
        const since = h.clock.now();
        await ping(a.north, 71);
        await waitHits(hook.path, 1);
        await settle(h);
        expect(await getHook(a, hook.id)).toMatchObject({ enabled: true, disabled_reason: null, failing_since: fcTime(since) });

        h.clock.advance(3 * DAY + HOUR);
        await settle(h);
        await waitFor('the endpoint to be disabled', async () => (await getHook(a, hook.id)).enabled === false);
        const disabled = await getHook(a, hook.id);
        expect(disabled).toMatchObject({ enabled: false, failing_since: fcTime(since) });
        expect(disabled.disabled_reason).toMatch(/fail/i);
        expect((await call('GET', '/webhooks/', as(a))).json().results.find((w: Json) => w.id === hook.id)).toEqual(disabled);
        expect((await deliveries(a, hook)).results[0]).toMatchObject({ status: 'failed', response_code: 500, last_error: 'HTTP 500' });
        // Disabled: new pings are not even queued.
        const queued = (await deliveries(a, hook)).count;
        await ping(a.north, 72);
        expect((await deliveries(a, hook)).count).toBe(queued);

        h.receiver.always(hook.path, null);
        const on = await call('PATCH', `/webhooks/${hook.id}/`, as(a), { enabled: true });
        expectStatus(on, 200);
        expect(on.json()).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
        expect(await getHook(a, hook.id)).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
        const seen = h.receiver.at(hook.path).length;
        await ping(a.north, 73);
        await waitHits(hook.path, seen + 1);
        expect(JSON.parse(h.receiver.at(hook.path)[seen]!.body)).toMatchObject({ data: { flowrate: 73 } });
      });
    });

    describe('tenant isolation', () => {
      it("A's pings never reach B's endpoints, nor B's A's", async () => {
        const hookA = await createHook(a);
        const hookB = await createHook(b);
        await ping(a.north, 81, 82);
        await ping(b.north, 91);
        await ping(a.south, 83);
        await waitHits(hookA.path, 3);
        await waitHits(hookB.path, 1);
        await settle(h);
        const sensorsOf = (path: string) => h.receiver.at(path).map((x) => (JSON.parse(x.body) as { data: { sensor_id: number } }).data.sensor_id);
        expect(sensorsOf(hookA.path).sort()).toEqual([a.north.controller.id, a.north.controller.id, a.south.controller.id].sort());
        expect(sensorsOf(hookB.path)).toEqual([b.north.controller.id]);
        for (const hit of h.receiver.at(hookB.path)) expect(hit.headers['fc-signature']).toBe(hookB.secret);
        expect((await deliveries(b, hookB)).count).toBe(1);
        expect((await deliveries(a, hookA)).count).toBe(3);
      });

      /**
       * A route on one endpoint: the other customer's id answers exactly as an id that does
       * not exist, for both customers' users and both ways of authenticating, and nothing about
       * the endpoint changes (not even a re-send).
       */
      function endpointRoute(method: Method, path: (id: number, delivery: number) => string, payload?: () => unknown) {
        return async () => {
          for (const [owner, viewer] of [
            [a, b],
            [b, a],
          ] as const) {
            const theirs = await createHook(owner);
            await ping(owner.north, 101);
            await waitHits(theirs.path, 1);
            await settle(h);
            const [delivery] = await h.store.listDeliveries(PLATFORM_SCOPE, theirs.id, { limit: 1 });
            const mine = await createHook(viewer);
            h.clock.advance(SECOND);
            const before = await snapshot(theirs.id);
            const absentId = await missingId();
            for (const u of [viewer.t.user, viewer.t.admin]) {
              for (const [authName, auth] of Object.entries(AUTHS)) {
                const label = `${viewer.t.customer.name} (${u.role}, ${authName}) → ${method} ${path(theirs.id, delivery!.id)}`;
                const body = payload?.();
                const foreign = await call(method, path(theirs.id, delivery!.id), auth(u), body);
                const absent = await call(method, path(absentId, 987_654_321), auth(u), body);
                expectDetail(foreign, 404, NOT_FOUND);
                expect(foreign.body, label).toBe(absent.body);
                expect(Object.keys(foreign.headers).sort(), label).toEqual(Object.keys(absent.headers).sort());
                expect(foreign.body).not.toContain(h.receiver.url(theirs.path));
                // My own endpoint with their delivery id is no better.
                if (path(1, 2).includes('/deliveries/2/')) expectDetail(await call(method, path(mine.id, delivery!.id), auth(u), body), 404, NOT_FOUND);
              }
            }
            await settle(h);
            expect(await snapshot(theirs.id)).toEqual(before);
            expect(h.receiver.at(theirs.path)).toHaveLength(1);
            expect(h.receiver.at(mine.path)).toEqual([]);
            expect(await getHook(owner, theirs.id)).toEqual({ ...theirs.created, secret: undefined });
          }
        };
      }

      /** One entry per route of the app under /api/v1/webhooks; a new route without one fails the suite. */
      const ROUTE_CHECKS: Record<string, () => Promise<void>> = {
        async 'GET /api/v1/webhooks'() {
          const mineA = await createHook(a);
          const mineB = await createHook(b);
          for (const [me, other, hook, theirs] of [
            [a, b, mineA, mineB],
            [b, a, mineB, mineA],
          ] as const) {
            for (const u of [me.t.user, me.t.admin]) {
              for (const auth of Object.values(AUTHS)) {
                const res = await call('GET', '/webhooks/', auth(u));
                expectStatus(res, 200);
                const page = res.json() as Page<Json>;
                const ids = page.results.map((w) => w.id as number);
                expect(ids).toContain(hook.id);
                expect(ids).not.toContain(theirs.id);
                const own = (await h.store.listWebhookEndpoints(PLATFORM_SCOPE, { kind: 'flowcommand' })).filter((e) => e.customerId === me.t.customer.id);
                expect(page.count).toBe(own.length);
                expect(ids).toEqual(own.map((e) => e.id));
                expect(res.body).not.toContain(h.receiver.url(theirs.path));
                expect(res.body).not.toContain(other.t.customer.name);
              }
            }
          }
        },
        async 'POST /api/v1/webhooks'() {
          const theirs = await createHook(a);
          const before = await snapshot(theirs.id);
          // The same URL, created by B, is B's own endpoint with its own secret.
          const res = await call('POST', '/webhooks/', as(b), { url: h.receiver.url(theirs.path) });
          expectStatus(res, 201);
          const created = res.json() as Json;
          expect(created.id).not.toBe(theirs.id);
          expect(created.secret).not.toBe(theirs.secret);
          expect((await h.store.getWebhookEndpoint(PLATFORM_SCOPE, created.id as number))!.customerId).toBe(b.t.customer.id);
          expect(await snapshot(theirs.id)).toEqual(before);
          expectStatus(await call('DELETE', `/webhooks/${created.id}/`, as(b)), 204);
        },
        'GET /api/v1/webhooks/:id(^\\d+)': endpointRoute('GET', (id) => `/webhooks/${id}/`),
        'PUT /api/v1/webhooks/:id(^\\d+)': endpointRoute('PUT', (id) => `/webhooks/${id}/`, () => ({ url: h.receiver.url('/hijacked'), enabled: false })),
        'PATCH /api/v1/webhooks/:id(^\\d+)': endpointRoute('PATCH', (id) => `/webhooks/${id}/`, () => ({ enabled: false })),
        'DELETE /api/v1/webhooks/:id(^\\d+)': endpointRoute('DELETE', (id) => `/webhooks/${id}/`),
        'POST /api/v1/webhooks/:id(^\\d+)/rotate_secret': endpointRoute('POST', (id) => `/webhooks/${id}/rotate_secret/`),
        'GET /api/v1/webhooks/:id(^\\d+)/deliveries': endpointRoute('GET', (id) => `/webhooks/${id}/deliveries/`),
        'POST /api/v1/webhooks/:id(^\\d+)/deliveries/:delivery(^\\d+)/resend': endpointRoute('POST', (id, d) => `/webhooks/${id}/deliveries/${d}/resend/`),
        'POST /api/v1/webhooks/:id(^\\d+)/resend': endpointRoute('POST', (id) => `/webhooks/${id}/resend/`, () => ({ start: iso(h.clock.now() - DAY), end: iso(h.clock.now() + SECOND) })),
      };

      it('the table below covers every route of the app under /api/v1/webhooks', () => {
        const routes = registeredRoutes(h.app).filter((r) => r.split(' ')[1]!.startsWith(`${FC}/webhooks`));
        expect(Object.keys(ROUTE_CHECKS).sort()).toEqual(routes);
      });

      for (const [route, check] of Object.entries(ROUTE_CHECKS)) {
        it(`${route}: another customer's endpoint is exactly a missing one, and unchanged`, check);
      }
    });
  });
}
