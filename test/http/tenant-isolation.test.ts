import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { basic, buildTestApp, manualClock } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { API, expectNativeError, ingest, registeredRoutes } from './support.js';
import { ONBOARDING_ROUTE_CHECKS } from './onboarding/tenant-checks.js';
import { at, createFlowCustomers, FC, storePings, type FlowSensorFixture, type FlowTenant } from './flowcommand/fixtures.js';

type User = TenantFixture['user'];

type FlowCustomer = FlowTenant & { sensors: FlowSensorFixture[] };

interface Ctx {
  app: FastifyInstance;
  store: TestStore;
  a: TenantFixture;
  b: TenantFixture;
  /** Two other customers, each with two flow sensors, for the FlowCommand sensor routes. */
  flow: { a: FlowCustomer; b: FlowCustomer };
}

/** A body each public route accepts as well-formed. */
function publicBody(route: string): object {
  if (route.endsWith('/password-reset')) return { email: 'nobody@example.com' };
  if (route.endsWith('/password-link')) return { token: 'flpw_unknown' };
  return { token: 'flpw_unknown', password: 'long-enough-password' };
}

const asUser = (u: User) => ({ authorization: basic(u.email, u.token) });
const asToken = (u: User) => ({ authorization: `Token ${u.token}` });

/** A snapshot of everything B has, as B itself sees it through the API. */
async function viewOf(ctx: Ctx, t: TenantFixture) {
  const get = async (url: string) => {
    const res = await ctx.app.inject({ url: `${API}${url}`, headers: asToken(t.user) });
    expect(res.statusCode, url).toBe(200);
    return res.json();
  };
  return {
    account: await get('/account'),
    controllers: await get('/controllers'),
    alarms: await get('/alarms?limit=1000'),
    s11: await get(`/channels/${t.channels.s11.id}/readings?limit=10000`),
    r1: await get(`/channels/${t.channels.r1.id}/readings?limit=10000`),
  };
}

/**
 * One entry per route under /api/flowline/v1. The suite fails when a route is added without
 * an entry here, so that every new route gets its tenant-isolation test.
 */
const ROUTE_CHECKS: Record<string, (ctx: Ctx) => Promise<void>> = {
  ...ONBOARDING_ROUTE_CHECKS,
  async 'GET /api/flowline/v1/account'({ app, a }) {
    for (const u of [a.user, a.admin]) {
      const res = await app.inject({ url: `${API}/account`, headers: asUser(u) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: u.id, email: u.email, customer_id: a.customer.id });
    }
  },

  async 'GET /api/flowline/v1/controllers'({ app, a, b }) {
    for (const u of [a.user, a.admin]) {
      const res = await app.inject({ url: `${API}/controllers`, headers: asUser(u) });
      expect(res.statusCode).toBe(200);
      const controllers = res.json().controllers as { id: number; serial_number: string; channels: { id: number }[] }[];
      expect(controllers.map((c) => c.id)).toEqual([a.controller.id]);
      expect(controllers[0]!.serial_number).toBe(a.controller.serialNumber);
      expect(controllers[0]!.channels.map((c) => c.id).sort((x, y) => x - y)).toEqual([a.channels.s11.id, a.channels.r1.id, a.channels.unassigned.id].sort((x, y) => x - y));
      expect(res.body).not.toContain(b.controller.serialNumber);
    }
  },

  async 'GET /api/flowline/v1/channels/:id/readings'({ app, a, b }) {
    // A's own channel works.
    const own = await app.inject({ url: `${API}/channels/${a.channels.s11.id}/readings`, headers: asUser(a.user) });
    expect(own.statusCode).toBe(200);
    expect(own.json().readings.map((r: { value: number }) => r.value)).toEqual([2, 1]);
    // Each of B's channels answers exactly like a channel that does not exist: 404, never 403.
    const missing = await app.inject({ url: `${API}/channels/999999/readings`, headers: asUser(a.user) });
    expectNativeError(missing, 404, 'not_found', 'Channel not found.');
    for (const channel of [b.channels.s11, b.channels.r1, b.channels.unassigned]) {
      for (const query of ['', '?order=asc&limit=10', '?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z']) {
        for (const u of [a.user, a.admin]) {
          const res = await app.inject({ url: `${API}/channels/${channel.id}/readings${query}`, headers: asUser(u) });
          expectNativeError(res, 404, 'not_found', 'Channel not found.');
          expect(res.body).toBe(missing.body);
        }
      }
    }
  },

  async 'GET /api/flowline/v1/channels/:id/series'({ app, a, b }) {
    const range = '?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z&width=24';
    const own = await app.inject({ url: `${API}/channels/${a.channels.s11.id}/series${range}`, headers: asUser(a.user) });
    expect(own.statusCode).toBe(200);
    expect(own.json().count.reduce((x: number, y: number) => x + y, 0)).toBe(2);
    const missing = await app.inject({ url: `${API}/channels/999999/series${range}`, headers: asUser(a.user) });
    expectNativeError(missing, 404, 'not_found', 'Channel not found.');
    for (const channel of [b.channels.s11, b.channels.r1, b.channels.unassigned]) {
      for (const query of ['', range]) {
        for (const u of [a.user, a.admin]) {
          const res = await app.inject({ url: `${API}/channels/${channel.id}/series${query}`, headers: asUser(u) });
          expect(res.body).toBe(missing.body);
        }
      }
    }
  },

  async 'GET /api/flowline/v1/alarms'({ app, a }) {
    for (const query of ['', '?active=true', '?active=false', '?limit=1000']) {
      const res = await app.inject({ url: `${API}/alarms${query}`, headers: asUser(a.user) });
      expect(res.statusCode).toBe(200);
      const alarms = res.json().alarms as { controller_id: number; code: number }[];
      expect(alarms.length).toBeGreaterThan(0);
      for (const alarm of alarms) expect(alarm.controller_id).toBe(a.controller.id);
      expect(alarms.map((x) => x.code)).toEqual([101]);
    }
  },

  'POST /api/flowline/v1/webhook-endpoints/:id/test': webhookToolRoute('POST', 'test', undefined, 202),
  'GET /api/flowline/v1/webhook-endpoints/:id/deliveries': webhookToolRoute('GET', 'deliveries', undefined, 200),
  'PUT /api/flowline/v1/webhook-endpoints/:id/enabled': webhookToolRoute('PUT', 'enabled', { enabled: true }, 200),

  async 'POST /api/flowline/v1/session'({ app, a, b }) {
    for (const u of [a.user, a.admin]) {
      const res = await app.inject({ method: 'POST', url: `${API}/session`, payload: { email: u.email, password: u.password } });
      expect(res.statusCode).toBe(201);
      expect(res.json().account).toMatchObject({ id: u.id, customer_id: a.customer.id });
      const cookie = /^(flowline_session=[^;]*)/.exec(String(res.headers['set-cookie']))![1]!;
      const controllers = await app.inject({ url: `${API}/controllers`, headers: { cookie } });
      expect(controllers.statusCode).toBe(200);
      expect(controllers.body).not.toContain(b.controller.serialNumber);
    }
  },

  async 'GET /api/flowline/v1/session'({ app, a }) {
    const signedIn = await app.inject({ method: 'POST', url: `${API}/session`, payload: { email: a.user.email, password: a.user.password } });
    const cookie = /^(flowline_session=[^;]*)/.exec(String(signedIn.headers['set-cookie']))![1]!;
    const res = await app.inject({ url: `${API}/session`, headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.json().account).toMatchObject({ id: a.user.id, customer_id: a.customer.id });
  },

  async 'DELETE /api/flowline/v1/session'({ app, a, b }) {
    const open = async (u: User) => {
      const res = await app.inject({ method: 'POST', url: `${API}/session`, payload: { email: u.email, password: u.password } });
      return { cookie: /^(flowline_session=[^;]*)/.exec(String(res.headers['set-cookie']))![1]!, csrf: res.json().csrf_token as string };
    };
    const mine = await open(a.user);
    const theirs = await open(b.user);
    // A's sign-out, even carrying B's CSRF token, ends only A's session.
    expect((await app.inject({ method: 'DELETE', url: `${API}/session`, headers: { cookie: mine.cookie, 'x-csrf-token': theirs.csrf } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: `${API}/session`, headers: { cookie: mine.cookie, 'x-csrf-token': mine.csrf } })).statusCode).toBe(204);
    expect((await app.inject({ url: `${API}/session`, headers: { cookie: mine.cookie } })).json().account).toBeNull();
    expect((await app.inject({ url: `${API}/session`, headers: { cookie: theirs.cookie } })).json().account).toMatchObject({ id: b.user.id });
  },

  async 'POST /api/flowline/v1/account/token'(ctx) {
    const { app, a, b } = ctx;
    const bBefore = await viewOf(ctx, b);
    const aUserBefore = (await app.inject({ url: `${API}/account`, headers: asToken(a.user) })).json();
    const res = await app.inject({ method: 'POST', url: `${API}/account/token`, headers: { authorization: basic(a.admin.email, a.admin.password) }, payload: { accept_terms: true } });
    expect(res.statusCode).toBe(201);
    a.admin.token = res.json().token;
    // Only the caller's token changed: A's other user and all of B are as they were.
    expect((await app.inject({ url: `${API}/account`, headers: asToken(a.user) })).json()).toEqual(aUserBefore);
    expect(await viewOf(ctx, b)).toEqual(bBefore);
    for (const u of [b.user, b.admin]) expect((await app.inject({ url: `${API}/account`, headers: asToken(u) })).statusCode).toBe(200);
    // Naming another user in the body is not a thing: unknown properties are dropped or refused, never applied.
    const sneaky = await app.inject({ method: 'POST', url: `${API}/account/token`, headers: { authorization: basic(a.user.email, a.user.password) }, payload: { accept_terms: true, user_id: b.user.id, email: b.user.email } });
    if (sneaky.statusCode === 201) {
      const me = await app.inject({ url: `${API}/account`, headers: asToken({ ...a.user, token: sneaky.json().token }) });
      expect(me.json().id).toBe(a.user.id);
      a.user.token = sneaky.json().token;
    } else {
      expectNativeError(sneaky, 400, 'invalid_request');
    }
    expect(await viewOf(ctx, b)).toEqual(bBefore);
  },
};

/** A FlowCommand webhook endpoint and a Fluent subscription of a customer (public URLs: nothing is sent in this suite). */
async function endpointsOf(app: FastifyInstance, t: TenantFixture): Promise<number[]> {
  const hook = await app.inject({ method: 'POST', url: '/api/v1/webhooks/', headers: asToken(t.admin), payload: { url: `https://example.com/${t.customer.id}/hook` } });
  expect(hook.statusCode, hook.body).toBe(201);
  const sub = await app.inject({ method: 'POST', url: '/subscription/create/', headers: asUser(t.user), payload: { 'callback-url': `https://example.com/${t.customer.id}/sub`, 'event-types': ['alarm'] } });
  expect(sub.statusCode, sub.body).toBe(201);
  return [hook.json().id as number, sub.json()['subscription-id'] as number];
}

/**
 * The webhook tools of the developers page: the other customer's endpoints (either kind)
 * answer exactly what an id that does not exist answers, and the call changes nothing of
 * theirs; the caller's own answer as documented.
 */
function webhookToolRoute(method: 'GET' | 'POST' | 'PUT', suffix: string, payload: object | undefined, ownStatus: number) {
  return async ({ app, a, b }: Ctx) => {
    const [aIds, bIds] = [await endpointsOf(app, a), await endpointsOf(app, b)];
    const logOf = async (t: TenantFixture, id: number) => (await app.inject({ url: `${API}/webhook-endpoints/${id}/deliveries`, headers: asToken(t.user) })).json();
    for (const [viewer, ownIds, otherIds, owner] of [
      [a, aIds, bIds, b],
      [b, bIds, aIds, a],
    ] as const) {
      for (const headers of [asToken(viewer.user), asUser(viewer.admin)]) {
        const call = (id: number) => app.inject({ method, url: `${API}/webhook-endpoints/${id}/${suffix}`, headers, ...(payload ? { payload } : {}) });
        const missing = await call(999_999);
        expectNativeError(missing, 404, 'not_found', 'Webhook endpoint not found.');
        for (const id of otherIds) {
          const before = await logOf(owner, id);
          const res = await call(id);
          expect(res.body).toBe(missing.body);
          expect(await logOf(owner, id)).toEqual(before);
        }
        for (const id of ownIds) expect((await call(id)).statusCode).toBe(ownStatus);
      }
    }
  };
}

/** A sensor id no customer has. */
const MISSING_SENSOR = 999_999;
const DAY_RANGE = '2026-11-23T00:00:00Z/2026-11-24T00:00:00Z';

/** What a customer's user sees of its flow sensors, to compare before and after a check. */
async function sensorsOf(ctx: Ctx, t: FlowCustomer) {
  const res = await ctx.app.inject({ url: `${FC}/flow_sensors/`, headers: asToken(t.tenant.user) });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/**
 * The check of a FlowCommand route that takes a sensor id: in both directions, for a user and
 * an admin, by token and by Basic, each of the other customer's sensors answers byte for byte
 * what a sensor id that does not exist answers (404 `{"detail": "Not found."}`), with the same
 * headers, while the caller's own sensor answers 200.
 */
function sensorRoute(urls: (id: number) => string[]) {
  return async ({ app, flow }: Ctx) => {
    for (const [viewer, owner] of [
      [flow.a, flow.b],
      [flow.b, flow.a],
    ] as const) {
      for (const headers of [asToken(viewer.tenant.user), asUser(viewer.tenant.admin)]) {
        const call = (url: string) => app.inject({ url: `${FC}${url}`, headers });
        for (const url of urls(viewer.sensors[0]!.controller.id)) expect((await call(url)).statusCode, url).toBe(200);
        const missing = await Promise.all(urls(MISSING_SENSOR).map(call));
        for (const sensor of owner.sensors) {
          for (const [i, url] of urls(sensor.controller.id).entries()) {
            const res = await call(url);
            expect(res.statusCode, url).toBe(404);
            expect(res.json()).toEqual({ detail: 'Not found.' });
            expect(res.body, url).toBe(missing[i]!.body);
            expect(Object.keys(res.headers).sort(), url).toEqual(Object.keys(missing[i]!.headers).sort());
            expect(res.headers['content-type']).toBe(missing[i]!.headers['content-type']);
          }
        }
      }
    }
  };
}

/**
 * One entry per route under /api/v1/flow_sensors (the FlowCommand face's sensor data). The
 * suite fails when a route is added there without an entry.
 */
const SENSOR_ROUTE_CHECKS: Record<string, (ctx: Ctx) => Promise<void>> = {
  async 'GET /api/v1/flow_sensors'({ app, flow }) {
    for (const [viewer, other] of [
      [flow.a, flow.b],
      [flow.b, flow.a],
    ] as const) {
      for (const headers of [asToken(viewer.tenant.user), asUser(viewer.tenant.admin)]) {
        const res = await app.inject({ url: `${FC}/flow_sensors/`, headers });
        expect(res.statusCode).toBe(200);
        const ids = (res.json().results as { id: number }[]).map((r) => r.id);
        expect(ids).toEqual(viewer.sensors.map((s) => s.controller.id));
        for (const s of other.sensors) expect(res.body).not.toContain(s.controller.name);
      }
    }
  },
  'GET /api/v1/flow_sensors/:id(^\\d+)': sensorRoute((id) => [`/flow_sensors/${id}/`, `/flow_sensors/${id}`]),
  'GET /api/v1/flow_sensors/:id(^\\d+)/pings': sensorRoute((id) => [`/flow_sensors/${id}/pings/`, `/flow_sensors/${id}/pings/?start=2026-11-23T00:00:00Z&page=last`]),
  'GET /api/v1/flow_sensors/:id(^\\d+)/flow_volume/:start/:end': sensorRoute((id) => [`/flow_sensors/${id}/flow_volume/${DAY_RANGE}/`]),
  'GET /api/v1/flow_sensors/:id(^\\d+)/flow_volume_hours/:start/:end': sensorRoute((id) => [`/flow_sensors/${id}/flow_volume_hours/${DAY_RANGE}/`, `/flow_sensors/${id}/flow_volume_hours/${DAY_RANGE}/?page=last`]),
};

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: tenant isolation`, () => {
    const ctx = {} as Ctx;
    let drop: () => Promise<void>;
    const clock = manualClock(Date.parse('2026-11-24T08:00:00Z'));

    beforeAll(async () => {
      const created = await factory.create();
      drop = created.drop;
      ctx.store = created.store;
      ctx.a = await createTenant(ctx.store, 'Alpha');
      ctx.b = await createTenant(ctx.store, 'Beta');
      ctx.flow = await createFlowCustomers(ctx.store, [{ name: 'Gamma Meter 1' }, { name: 'Gamma Meter 2' }], [{ name: 'Delta Meter 1' }, { name: 'Delta Meter 2' }], ['Gamma', 'Delta']);
      for (const sensor of [...ctx.flow.a.sensors, ...ctx.flow.b.sensors]) {
        await storePings(ctx.store, sensor, [
          [at('2026-11-23T06:00:00Z'), 100],
          [at('2026-11-23T18:00:00Z'), 200],
        ]);
      }
      ctx.app = await buildTestApp(ctx.store, clock);
      const { app, a, b } = ctx;
      const seed = async (t: TenantFixture, values: number[], code: number) => {
        const res = await ingest(app, t.ingestKey, {
          readings: values.flatMap((value, i) => [
            { channel: 'S11', time: `2026-11-24T07:0${i}:00Z`, value },
            { channel: 'R1', time: `2026-11-24T07:0${i}:00Z`, value: i % 2 },
          ]),
          alarms: [{ event: 'raise', code, channel: 'S11', time: '2026-11-24T07:00:00Z' }],
        });
        expect(res.statusCode).toBe(200);
      };
      await seed(a, [1, 2], 101);
      await seed(b, [10, 20, 30], 202);
    });
    afterAll(async () => {
      await ctx.app?.close();
      await drop?.();
    });

    it('every route under /api/flowline/v1 has a tenant-isolation check', () => {
      const routes = registeredRoutes(ctx.app).filter((r) => r.split(' ')[1]!.startsWith(API));
      expect(routes.length).toBeGreaterThan(0);
      expect(routes).toEqual(Object.keys(ROUTE_CHECKS).sort());
    });

    it('every route under /api/flowline/v1 needs credentials, but the set-password link flow', async () => {
      // The link is the credential of these three (tested in onboarding/tenant-checks.ts).
      const PUBLIC = [`POST ${API}/account/password-reset`, `POST ${API}/account/password-link`, `POST ${API}/account/set-password`];
      // Without credentials they answer as for anyone: the reset request 202, an unknown link 404.
      const expected = [202, 404, 404];
      for (const [i, route] of PUBLIC.entries()) {
        const res = await ctx.app.inject({ method: 'POST', url: route.split(' ')[1]!, payload: publicBody(route) });
        expect(res.statusCode, route).toBe(expected[i]);
      }
      // Signing in needs no credentials but the ones it checks; signing out without a session only
      // clears the cookie; asking who is signed in without a session answers nobody.
      const SESSION = [`POST ${API}/session`, `GET ${API}/session`, `DELETE ${API}/session`];
      expect((await ctx.app.inject({ url: `${API}/session` })).json()).toEqual({ account: null, csrf_token: null });
      expectNativeError(await ctx.app.inject({ method: 'POST', url: `${API}/session`, payload: { email: 'nobody@example.com', password: 'x' } }), 401, 'invalid_credentials');
      expect((await ctx.app.inject({ method: 'DELETE', url: `${API}/session` })).statusCode).toBe(204);
      for (const route of Object.keys(ROUTE_CHECKS).filter((r) => !PUBLIC.includes(r) && !SESSION.includes(r))) {
        const [method, path] = route.split(' ') as ['GET' | 'POST', string];
        const url = path.replace(':id', String(ctx.a.channels.s11.id));
        const res = await ctx.app.inject({ method, url, ...(method === 'POST' ? { payload: { accept_terms: true } } : {}) });
        expectNativeError(res, 401, 'not_authenticated', 'Authentication credentials were not provided.');
      }
    });

    for (const route of Object.keys(ROUTE_CHECKS).sort()) {
      it(`${route}: a user of A never sees or changes anything of B`, async () => {
        const bBefore = await viewOf(ctx, ctx.b);
        await ROUTE_CHECKS[route]!(ctx);
        expect(await viewOf(ctx, ctx.b)).toEqual(bBefore);
      });
    }

    it('every route under /api/v1/flow_sensors has a tenant-isolation check', () => {
      const routes = registeredRoutes(ctx.app).filter((r) => r.split(' ')[1]!.startsWith(`${FC}/flow_sensors`));
      expect(routes.length).toBeGreaterThan(0);
      expect(routes).toEqual(Object.keys(SENSOR_ROUTE_CHECKS).sort());
    });

    it('every route under /api/v1/flow_sensors needs credentials', async () => {
      for (const route of Object.keys(SENSOR_ROUTE_CHECKS)) {
        const url = route
          .split(' ')[1]!
          .replace(':id(^\\d+)', String(ctx.flow.a.sensors[0]!.controller.id))
          .replace(':start/:end', DAY_RANGE);
        const res = await ctx.app.inject({ url });
        expect(res.statusCode, url).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Token');
        expect(res.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
      }
    });

    for (const route of Object.keys(SENSOR_ROUTE_CHECKS).sort()) {
      it(`${route}: a user of one customer never sees the other's sensors`, async () => {
        const before = [await sensorsOf(ctx, ctx.flow.a), await sensorsOf(ctx, ctx.flow.b)];
        await SENSOR_ROUTE_CHECKS[route]!(ctx);
        expect([await sensorsOf(ctx, ctx.flow.a), await sensorsOf(ctx, ctx.flow.b)]).toEqual(before);
      });
    }

    it("B's own view is B's, and the store agrees on what A wrote", async () => {
      const view = await viewOf(ctx, ctx.b);
      expect(view.controllers.controllers.map((c: { id: number }) => c.id)).toEqual([ctx.b.controller.id]);
      expect(view.s11.readings.map((r: { value: number }) => r.value)).toEqual([30, 20, 10]);
      expect(view.alarms.alarms.map((x: { code: number }) => x.code)).toEqual([202]);
      expect(view.account).toMatchObject({ id: ctx.b.user.id, customer_id: ctx.b.customer.id });
      expect(await ctx.store.countReadings(PLATFORM_SCOPE, ctx.b.channels.s11.id)).toBe(3);
      expect(await ctx.store.countReadings(PLATFORM_SCOPE, ctx.a.channels.s11.id)).toBe(2);
    });

    it("an ingest key of A never touches B's data", async () => {
      const bBefore = await viewOf(ctx, ctx.b);
      const res = await ingest(ctx.app, ctx.a.ingestKey, {
        readings: [
          { channel: 'S11', time: '2026-11-24T07:00:00Z', value: 999 },
          { channel: 'S11', time: '2026-11-24T07:30:00Z', value: 999 },
          { channel: 'R1', time: '2026-11-24T07:30:00Z', value: 1 },
        ],
        alarms: [
          { event: 'clear', code: 202, channel: 'S11', time: '2026-11-24T07:30:00Z' },
          { event: 'raise', code: 303, time: '2026-11-24T07:30:00Z' },
        ],
      });
      expect(res.statusCode).toBe(200);
      // 07:00 was already A's own reading; B's clear code 202 is not active on A's controller.
      expect(res.json()).toMatchObject({ controller: ctx.a.controller.serialNumber, stored: 2, duplicates: 1, alarms: { raised: 1, cleared: 0, ignored: 1 } });
      expect(await viewOf(ctx, ctx.b)).toEqual(bBefore);
    });

    it("a user of A can't reach B's channels by any id spelling", async () => {
      const id = ctx.b.channels.s11.id;
      for (const spelling of [String(id), `${id}/`, `0${id}`, `${id}.0`, `+${id}`]) {
        const res = await ctx.app.inject({ url: `${API}/channels/${spelling}/readings`, headers: asUser(ctx.a.user) });
        expect([400, 404], spelling).toContain(res.statusCode);
        expect(res.body).not.toContain('"readings"');
      }
    });

    it('credentials of B mixed with A are refused, never mapped to either tenant', async () => {
      for (const authorization of [basic(ctx.a.user.email, ctx.b.user.token), basic(ctx.b.user.email, ctx.a.user.password)]) {
        const res = await ctx.app.inject({ url: `${API}/controllers`, headers: { authorization } });
        expectNativeError(res, 401, 'invalid_credentials', 'Invalid username/password.');
      }
    });
  });
}
