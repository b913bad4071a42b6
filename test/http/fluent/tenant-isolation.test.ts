import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import type { Controller } from '../../../src/domain/types.js';
import { FLUENT_PATH_PREFIXES } from '../../../src/http/fluent/index.js';
import { basic, buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import { registeredRoutes } from '../support.js';

/**
 * Tenant isolation on every route of the Fluent face, on every store: a user of one customer
 * asking for another customer's controller gets exactly the answer a serial that does not
 * exist gets (so existence never leaks), whatever the query, and `/controller/list` never
 * names another customer's serials. The table is keyed by the app's own route list, so a new
 * Fluent route without an entry here fails the suite.
 */

const NOW = Date.parse('2026-11-24T08:00:00Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

type User = TenantFixture['user'];

interface Tenant {
  t: TenantFixture;
  /** The createTenant controller and a second one. */
  controllers: Controller[];
  /** A value and an alarm text that only this tenant has. */
  marker: { value: number; alarm: string };
  /** Cursors this tenant was handed on its own first controller. */
  cursors: { readings: string; buckets: string; alarms: string };
}

interface Ctx {
  app: FastifyInstance;
  store: TestStore;
  a: Tenant;
  b: Tenant;
}

/** How a user authenticates: both ways real Fluent clients and integrators do. */
const AUTHS: Record<string, (u: User) => Record<string, string>> = {
  'Basic e-mail:token': (u) => ({ authorization: basic(u.email, u.token) }),
  'Token header': (u) => ({ authorization: `Token ${u.token}` }),
};

/** A serial no controller has, of the given length (so bodies compare byte for byte). */
const missingSerial = (like: string) => '7'.repeat(like.length);

/** Headers whose values must match between two answers (the date and the counters move). */
const STABLE_HEADERS = ['content-type', 'content-length', 'x-rate-limit-limit', 'www-authenticate', 'retry-after'];

function expectNotFound(res: LightMyRequestResponse, label: string): void {
  expect(res.statusCode, `${label}: ${res.body}`).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as Record<string, unknown>;
  expect(Object.keys(body), label).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  for (const h of ['x-rate-limit-limit', 'x-rate-limit-remaining', 'x-rate-limit-reset']) expect(res.headers[h], `${h}: ${label}`).toMatch(/^\d+$/);
}

/** The answer for `foreign` equals the answer for a serial that does not exist, but for the serial itself. */
function expectSameAsMissing(foreign: LightMyRequestResponse, missing: LightMyRequestResponse, foreignText: string, missingText: string, label: string): void {
  expectNotFound(foreign, label);
  expectNotFound(missing, label);
  expect(foreign.body.replaceAll(foreignText, '<id>'), label).toBe(missing.body.replaceAll(missingText, '<id>'));
  expect(Object.keys(foreign.headers).sort(), label).toEqual(Object.keys(missing.headers).sort());
  for (const h of STABLE_HEADERS) expect(foreign.headers[h], `${h}: ${label}`).toEqual(missing.headers[h]);
}

/**
 * The check of a route that takes a serial: each customer's users, both ways of
 * authenticating, every query variant, the serial spelt as clients spell it; in both
 * directions (B asking for A's controllers, A asking for B's).
 */
function serialRoute(path: string, queries: (ctx: Ctx, owner: Tenant, viewer: Tenant) => string[]) {
  return async (ctx: Ctx) => {
    const { app } = ctx;
    for (const [viewer, owner] of [
      [ctx.b, ctx.a],
      [ctx.a, ctx.b],
    ] as const) {
      // The owner itself gets its data (or a 400 for a bad query), never a 404.
      for (const controller of owner.controllers) {
        for (const query of queries(ctx, owner, viewer)) {
          const res = await app.inject({ url: `${path}${controller.serialNumber}${query}`, headers: AUTHS['Token header']!(owner.t.user) });
          const label = `${owner.t.customer.name} on its own ${path}${query}: ${res.body}`;
          // 404 only for a process that is not this controller's, never for the controller.
          expect([200, 400, 404], label).toContain(res.statusCode);
          if (res.statusCode === 404) expect((res.json() as { error: string }).error, label).toMatch(/^Process \d+ of controller/);
          expect(res.body).not.toContain(String(viewer.marker.value));
          expect(res.body).not.toContain(viewer.marker.alarm);
          for (const other of viewer.controllers) expect(res.body).not.toContain(other.serialNumber);
        }
      }
      // The viewer gets exactly what a serial that does not exist gets.
      for (const u of [viewer.t.user, viewer.t.admin]) {
        for (const [authName, auth] of Object.entries(AUTHS)) {
          for (const controller of owner.controllers) {
            const serial = controller.serialNumber;
            const missing = missingSerial(serial);
            for (const query of queries(ctx, owner, viewer)) {
              for (const spelling of [(s: string) => s, (s: string) => String(Number.parseInt(s, 10)), (s: string) => `${s}/`]) {
                const label = `${viewer.t.customer.name} (${u.role}, ${authName}) → ${path}${spelling(serial)}${query}`;
                const foreign = await app.inject({ url: `${path}${spelling(serial)}${query}`, headers: auth(u) });
                const absent = await app.inject({ url: `${path}${spelling(missing)}${query}`, headers: auth(u) });
                expectSameAsMissing(foreign, absent, serial, missing, label);
                expect(foreign.body, label).not.toContain(String(owner.marker.value));
                expect(foreign.body, label).not.toContain(owner.marker.alarm);
              }
            }
          }
        }
      }
    }
  };
}

async function subscribe(app: Ctx['app'], owner: Tenant): Promise<{ id: number; url: string; expiresAt: string }> {
  const url = `https://hooks.example.com/${owner.t.customer.name.toLowerCase()}-${Math.random().toString(36).slice(2)}`;
  const res = await app.inject({
    method: 'POST',
    url: '/subscription/create/',
    headers: AUTHS['Token header']!(owner.t.user),
    payload: { 'callback-url': url, 'event-types': ['data-change', 'alarm'], 'serial-numbers': [owner.controllers[0]!.serialNumber] },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json() as { 'subscription-id': number; 'expires-at': string };
  return { id: body['subscription-id'], url, expiresAt: body['expires-at'] };
}

async function cancel(app: Ctx['app'], owner: Tenant, id: number): Promise<void> {
  const res = await app.inject({ method: 'DELETE', url: `/subscription/cancel/${id}`, headers: AUTHS['Token header']!(owner.t.user) });
  expect(res.statusCode, res.body).toBe(200);
}

/** A route on one subscription: another customer's id answers exactly as an id that does not exist, and changes nothing. */
function subscriptionRoute(method: 'GET' | 'POST' | 'DELETE', path: (id: number) => string, payload?: object) {
  return async ({ app, a, b, store }: Ctx) => {
    for (const [owner, viewer] of [
      [a, b],
      [b, a],
    ] as const) {
      const theirs = await subscribe(app, owner);
      // An id of the same length that nobody has, so that the bodies compare byte for byte.
      let missing = 10 ** String(theirs.id).length - 1;
      while (await store.getWebhookEndpoint(PLATFORM_SCOPE, missing)) missing -= 1;
      for (const u of [viewer.t.user, viewer.t.admin]) {
        for (const [authName, auth] of Object.entries(AUTHS)) {
          const label = `${viewer.t.customer.name} (${u.role}, ${authName}) → ${method} ${path(theirs.id)}`;
          const foreign = await app.inject({ method, url: path(theirs.id), headers: auth(u), ...(payload ? { payload } : {}) });
          const absent = await app.inject({ method, url: path(missing), headers: auth(u), ...(payload ? { payload } : {}) });
          expectSameAsMissing(foreign, absent, String(theirs.id), String(missing), label);
          expect(foreign.body, label).not.toContain(theirs.url);
        }
      }
      const still = await app.inject({ url: `/subscription/${theirs.id}`, headers: AUTHS['Token header']!(owner.t.user) });
      expect(still.statusCode, still.body).toBe(200);
      expect((still.json() as { 'expires-at': string })['expires-at']).toBe(theirs.expiresAt);
      await cancel(app, owner, theirs.id);
    }
  };
}

const range = `start=${iso(NOW - 2 * HOUR)}&end=${iso(NOW)}`;
const reversed = `start=${iso(NOW)}&end=${iso(NOW - 2 * HOUR)}`;

/**
 * One entry per route of the Fluent face (`/controller/…`, `/subscription/…`, `/version`).
 * The suite fails when a route is added without an entry here.
 */
const ROUTE_CHECKS: Record<string, (ctx: Ctx) => Promise<void>> = {
  async 'GET /controller/list'({ app, a, b }) {
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const u of [me.t.user, me.t.admin]) {
        for (const auth of Object.values(AUTHS)) {
          for (const url of ['/controller/list/', '/controller/list', '/controller/list/?customer=' + other.t.customer.id]) {
            const res = await app.inject({ url, headers: auth(u) });
            expect(res.statusCode, res.body).toBe(200);
            const list = (res.json() as { 'controller-list': string[] })['controller-list'];
            expect([...list].sort()).toEqual(me.controllers.map((c) => c.serialNumber).sort());
            for (const c of other.controllers) expect(res.body).not.toContain(c.serialNumber);
          }
        }
      }
    }
  },

  'GET /controller/current-readings/:serial': serialRoute('/controller/current-readings/', () => ['']),

  'GET /controller/active-alarms/:serial': serialRoute('/controller/active-alarms/', () => ['']),

  'GET /controller/hierarchy/:serial': serialRoute('/controller/hierarchy/', () => ['']),

  async 'GET /controller/readings/:serial'(ctx) {
    await serialRoute('/controller/readings/', (_ctx, owner, viewer) => [
      '',
      `?${range}`,
      `?${range}&channel=S11,R1`,
      `?${range}&process=${owner.t.process.id}`,
      `?${range}&process=${viewer.t.process.id}`,
      `?${range}&interval=1h`,
      `?${range}&interval=1m&order=desc&limit=1`,
      `?${range}&limit=1&cursor=${encodeURIComponent(owner.cursors.readings)}`,
      `?${range}&interval=1m&limit=1&cursor=${encodeURIComponent(owner.cursors.buckets)}`,
      // Queries that would fail on the owner's controller fail as "not found" first for anyone else.
      `?${reversed}`,
      '?channel=S404',
      `?process=999999999`,
      '?cursor=garbage',
    ])(ctx);
    // A process of another customer, on one's own controller, is as unknown as one that does not exist.
    for (const [viewer, owner] of [
      [ctx.b, ctx.a],
      [ctx.a, ctx.b],
    ] as const) {
      const mine = viewer.t.controller.serialNumber;
      const foreignId = String(owner.t.process.id);
      const missingId = '9'.repeat(foreignId.length);
      for (const query of ['', '&interval=1h']) {
        const foreign = await ctx.app.inject({ url: `/controller/readings/${mine}?process=${foreignId}${query}`, headers: AUTHS['Token header']!(viewer.t.user) });
        const absent = await ctx.app.inject({ url: `/controller/readings/${mine}?process=${missingId}${query}`, headers: AUTHS['Token header']!(viewer.t.user) });
        expectSameAsMissing(foreign, absent, `Process ${foreignId} `, `Process ${missingId} `, `process ${foreignId} of ${owner.t.customer.name}`);
      }
    }
  },

  'GET /controller/alarm-history/:serial': serialRoute('/controller/alarm-history/', (_ctx, owner) => [
    '',
    `?${range}`,
    '?severity=critical',
    '?severity=info,warning&severity=critical',
    '?limit=1',
    `?limit=1&cursor=${encodeURIComponent(owner.cursors.alarms)}`,
    `?${reversed}`,
    '?severity=bogus',
  ]),

  async 'GET /subscription/list'({ app, a, b }) {
    const mine = await subscribe(app, a);
    for (const u of [b.t.user, b.t.admin]) {
      const res = await app.inject({ url: '/subscription/list/', headers: AUTHS['Token header']!(u) });
      expect(res.statusCode, res.body).toBe(200);
      const ids = (res.json() as { 'subscription-list': { 'subscription-id': number }[] })['subscription-list'].map((x) => x['subscription-id']);
      expect(ids).not.toContain(mine.id);
      expect(res.body).not.toContain(mine.url);
      for (const c of a.controllers) expect(res.body).not.toContain(c.serialNumber);
    }
    await cancel(app, a, mine.id);
  },

  async 'POST /subscription/create'({ app, a, b }) {
    const url = 'https://hooks.example.com/beta';
    for (const [field, foreign, missing] of [
      ['serial-numbers', a.controllers[0]!.serialNumber, missingSerial(a.controllers[0]!.serialNumber)],
      ['process-ids', a.t.process.id, 987_654_321],
    ] as const) {
      const post = (value: string | number) =>
        app.inject({ method: 'POST', url: '/subscription/create/', headers: AUTHS['Token header']!(b.t.user), payload: { 'callback-url': url, 'event-types': ['data-change'], [field]: [value] } });
      const [onForeign, onMissing] = [await post(foreign), await post(missing)];
      expect(onForeign.statusCode, onForeign.body).toBe(400);
      expect(onForeign.body.replaceAll(String(foreign), '<id>')).toBe(onMissing.body.replaceAll(String(missing), '<id>'));
    }
  },

  'GET /subscription/:id': subscriptionRoute('GET', (id) => `/subscription/${id}`),
  'POST /subscription/renew/:id': subscriptionRoute('POST', (id) => `/subscription/renew/${id}`),
  'POST /subscription/rotate-secret/:id': subscriptionRoute('POST', (id) => `/subscription/rotate-secret/${id}`),
  'DELETE /subscription/cancel/:id': subscriptionRoute('DELETE', (id) => `/subscription/cancel/${id}`),
  'DELETE /subscription/:id': subscriptionRoute('DELETE', (id) => `/subscription/${id}`),
  'GET /subscription/deliveries/:id': subscriptionRoute('GET', (id) => `/subscription/deliveries/${id}`),
  'POST /subscription/resend/:id': subscriptionRoute('POST', (id) => `/subscription/resend/${id}`, { start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' }),

  async 'GET /version'({ app, a, b }) {
    const bodies = new Set<string>();
    for (const headers of [{}, AUTHS['Token header']!(a.t.user), AUTHS['Basic e-mail:token']!(b.t.admin)]) {
      const res = await app.inject({ url: '/version', headers });
      expect(res.statusCode).toBe(200);
      bodies.add(res.body);
      for (const t of [a, b]) {
        expect(res.body).not.toContain(t.t.customer.name);
        for (const c of t.controllers) expect(res.body).not.toContain(c.serialNumber);
      }
    }
    expect(bodies.size).toBe(1);
  },
};

/** Everything a tenant has, as it sees it through the face. */
async function viewOf(ctx: Ctx, tenant: Tenant) {
  const headers = AUTHS['Token header']!(tenant.t.user);
  const get = async (url: string) => {
    const res = await ctx.app.inject({ url, headers });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json() as unknown;
  };
  const view: Record<string, unknown> = { list: await get('/controller/list/') };
  for (const c of tenant.controllers) {
    const s = c.serialNumber;
    view[s] = {
      current: await get(`/controller/current-readings/${s}`),
      active: await get(`/controller/active-alarms/${s}`),
      hierarchy: await get(`/controller/hierarchy/${s}`),
      readings: await get(`/controller/readings/${s}?${range}&limit=10000`),
      history: await get(`/controller/alarm-history/${s}`),
    };
  }
  return view;
}

let nextSerial = 2_700_000_000;

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: Fluent tenant isolation`, () => {
    const ctx = {} as Ctx;
    let drop: () => Promise<void>;
    const clock = manualClock(NOW);

    async function seed(t: TenantFixture, value: number, alarm: string): Promise<Tenant> {
      const second = await ctx.store.createController(PLATFORM_SCOPE, { facilityId: t.facility.id, serialNumber: String(nextSerial++), model: 'W600', name: `${t.customer.name} Boiler` });
      const process = await ctx.store.createProcess(PLATFORM_SCOPE, { controllerId: second.id, name: 'Boiler' });
      const s11 = await ctx.store.createChannel(PLATFORM_SCOPE, { controllerId: second.id, processId: process.id, number: 'S11', name: 'Conductivity', kind: 'input', type: 'conductivity', unit: 'µS/cm' });
      for (const [controller, channels] of [
        [t.controller, [t.channels.s11.id, t.channels.r1.id]],
        [second, [s11.id]],
      ] as const) {
        await ctx.store.ingest(
          controller.id,
          {
            readings: channels.flatMap((channelId) => [0, 1, 2, 3].map((i) => ({ channelId, time: NOW - HOUR + i * 60_000, value: value + i }))),
            alarms: [
              { action: 'raise', channelId: channels[0]!, code: 101, type: 'controller-alarm', severity: 'critical', message: alarm, time: NOW - HOUR },
              { action: 'raise', channelId: null, code: 48, type: 'controller-alarm', severity: 'warning', message: alarm, time: NOW - HOUR },
              { action: 'clear', channelId: null, code: 48, type: 'controller-alarm', severity: 'warning', message: alarm, time: NOW - HOUR / 2 },
            ],
          },
          NOW,
        );
      }
      const headers = AUTHS['Token header']!(t.user);
      const cursorOf = async (url: string) => {
        const res = await ctx.app.inject({ url, headers });
        expect(res.statusCode, res.body).toBe(200);
        const cursor = (res.json() as { 'next-cursor': string | null })['next-cursor'];
        expect(typeof cursor).toBe('string');
        return cursor!;
      };
      const s = t.controller.serialNumber;
      return {
        t,
        controllers: [t.controller, second],
        marker: { value, alarm },
        cursors: {
          readings: await cursorOf(`/controller/readings/${s}?${range}&limit=1`),
          buckets: await cursorOf(`/controller/readings/${s}?${range}&interval=1m&limit=1`),
          alarms: await cursorOf(`/controller/alarm-history/${s}?limit=1`),
        },
      };
    }

    beforeAll(async () => {
      const created = await factory.create();
      drop = created.drop;
      ctx.store = created.store;
      const alpha = await createTenant(ctx.store, 'Alpha');
      const beta = await createTenant(ctx.store, 'Beta');
      ctx.app = await buildTestApp(ctx.store, clock, { RATE_LIMITS: 'fluent.default=100000/1m,fluent.anonymous=100000/1m,fluent.public=100000/1m' });
      ctx.a = await seed(alpha, 111.25, 'Alpha-only alarm');
      ctx.b = await seed(beta, 777_777.5, 'Beta-only alarm');
    });
    afterAll(async () => {
      await ctx.app?.close();
      await drop?.();
    });

    it('every route of the Fluent face has a tenant-isolation check', () => {
      const routes = registeredRoutes(ctx.app).filter((r) => {
        const path = r.split(' ')[1]!;
        return FLUENT_PATH_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
      });
      expect(routes.length).toBeGreaterThanOrEqual(7);
      expect(routes).toEqual(Object.keys(ROUTE_CHECKS).sort());
    });

    it('every /controller/ route needs credentials', async () => {
      for (const route of Object.keys(ROUTE_CHECKS).filter((r) => r.includes('/controller/'))) {
        const url = route.split(' ')[1]!.replace(':serial', ctx.a.t.controller.serialNumber);
        const res = await ctx.app.inject({ url });
        expect(res.statusCode, `${route}: ${res.body}`).toBe(401);
        expect(res.json()).toEqual({ error: 'Authentication credentials were not provided.' });
        expect(res.headers['x-rate-limit-remaining']).toMatch(/^\d+$/);
      }
    });

    for (const route of Object.keys(ROUTE_CHECKS).sort()) {
      it(`${route}: one customer never sees another's controllers, not even whether they exist`, async () => {
        const before = [await viewOf(ctx, ctx.a), await viewOf(ctx, ctx.b)];
        await ROUTE_CHECKS[route]!(ctx);
        expect([await viewOf(ctx, ctx.a), await viewOf(ctx, ctx.b)]).toEqual(before);
      });
    }

    it("each customer's own view holds its own data only", async () => {
      for (const [me, other] of [
        [ctx.a, ctx.b],
        [ctx.b, ctx.a],
      ] as const) {
        const view = await viewOf(ctx, me);
        const text = JSON.stringify(view);
        expect(text).toContain(String(me.marker.value));
        expect(text).toContain(me.marker.alarm);
        expect(text).not.toContain(String(other.marker.value));
        expect(text).not.toContain(other.marker.alarm);
        expect(text).not.toContain(other.t.customer.name);
        for (const c of other.controllers) expect(text).not.toContain(c.serialNumber);
      }
    });

    it('credentials mixing two customers are refused, never mapped to either', async () => {
      for (const authorization of [basic(ctx.a.t.user.email, ctx.b.t.user.token), basic(ctx.b.t.user.email, ctx.a.t.user.token), basic(ctx.a.t.user.email, ctx.b.t.user.password)]) {
        const res = await ctx.app.inject({ url: '/controller/list/', headers: { authorization } });
        expect(res.statusCode).toBe(401);
        expect(Object.keys(res.json() as object)).toEqual(['error']);
      }
    });
  });
}
