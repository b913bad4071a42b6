import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { basic, buildTestApp, manualClock } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { API, expectNativeError, ingest, registeredRoutes } from './support.js';

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: errors and health`, () => {
    let app: FastifyInstance;
    let store: TestStore;
    let drop: () => Promise<void>;
    let acme: TenantFixture;
    let auth: { authorization: string };
    let s11: number;

    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
      acme = await createTenant(store, 'Acme');
      auth = { authorization: basic(acme.user.email, acme.user.token) };
      s11 = acme.channels.s11.id;
      app = await buildTestApp(store, manualClock());
      const res = await ingest(app, acme.ingestKey, { readings: [{ channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1 }] });
      expect(res.statusCode).toBe(200);
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('serves exactly the expected routes', () => {
      expect(registeredRoutes(app)).toEqual(
        [
          'GET /healthz',
          'GET /readyz',
          'POST /ingest/v1/readings',
          'POST /api/flowline/v1/session',
          'GET /api/flowline/v1/session',
          'DELETE /api/flowline/v1/session',
          'GET /api/flowline/v1/account',
          'POST /api/flowline/v1/account/token',
          'GET /api/flowline/v1/alarms',
          'GET /api/flowline/v1/controllers',
          'GET /api/flowline/v1/channels/:id/readings',
          'GET /api/flowline/v1/channels/:id/series',
          'POST /api/flowline/v1/webhook-endpoints/:id/test',
          'PUT /api/flowline/v1/webhook-endpoints/:id/enabled',
          'GET /api/flowline/v1/webhook-endpoints/:id/deliveries',
          'PUT /api/flowline/v1/account/password',
          'POST /api/flowline/v1/account/password-reset',
          'POST /api/flowline/v1/account/password-link',
          'POST /api/flowline/v1/account/set-password',
          'GET /api/flowline/v1/customers',
          'POST /api/flowline/v1/customers',
          'GET /api/flowline/v1/customers/:id',
          'PATCH /api/flowline/v1/customers/:id',
          'GET /api/flowline/v1/facilities',
          'POST /api/flowline/v1/facilities',
          'GET /api/flowline/v1/facilities/:id',
          'PATCH /api/flowline/v1/facilities/:id',
          'POST /api/flowline/v1/controllers',
          'GET /api/flowline/v1/controllers/:id',
          'PATCH /api/flowline/v1/controllers/:id',
          'POST /api/flowline/v1/controllers/:id/processes',
          'PATCH /api/flowline/v1/processes/:id',
          'POST /api/flowline/v1/controllers/:id/channels',
          'PATCH /api/flowline/v1/channels/:id',
          'GET /api/flowline/v1/controllers/:id/ingest-keys',
          'POST /api/flowline/v1/controllers/:id/ingest-keys',
          'DELETE /api/flowline/v1/controllers/:id/ingest-keys',
          'DELETE /api/flowline/v1/controllers/:id/ingest-keys/:keyId',
          'GET /api/flowline/v1/users',
          'POST /api/flowline/v1/users',
          'GET /api/flowline/v1/users/:id',
          'PATCH /api/flowline/v1/users/:id',
          'POST /api/flowline/v1/users/:id/password-link',
          'GET /api/v1/flow_sensors',
          'GET /api/v1/flow_sensors/:id(^\\d+)',
          'GET /api/v1/flow_sensors/:id(^\\d+)/pings',
          'GET /api/v1/flow_sensors/:id(^\\d+)/flow_volume/:start/:end',
          'GET /api/v1/flow_sensors/:id(^\\d+)/flow_volume_hours/:start/:end',
          'GET /api/v1/webhooks',
          'POST /api/v1/webhooks',
          'GET /api/v1/webhooks/:id(^\\d+)',
          'PUT /api/v1/webhooks/:id(^\\d+)',
          'PATCH /api/v1/webhooks/:id(^\\d+)',
          'DELETE /api/v1/webhooks/:id(^\\d+)',
          'POST /api/v1/webhooks/:id(^\\d+)/rotate_secret',
          'GET /api/v1/webhooks/:id(^\\d+)/deliveries',
          'POST /api/v1/webhooks/:id(^\\d+)/deliveries/:delivery(^\\d+)/resend',
          'POST /api/v1/webhooks/:id(^\\d+)/resend',
          'GET /api/rest/v2/:model_type',
          'POST /api/rest/v2/:model_type/list',
          'GET /api/rest/v2/:model_type/:id',
          'POST /api/rest/v2/:model_type',
          'POST /oauth/token',
          'GET /oauth/applications',
          'POST /oauth/applications',
          'DELETE /oauth/applications/:id',
          'PUT /api/rest/v2/:model_type/:id',
          'DELETE /api/rest/v2/:model_type/:id',
          'GET /api/rest/v2/doc',
          'GET /api/rest/v2/doc/:model_type',
          'GET /controller/list',
          'GET /controller/current-readings/:serial',
          'GET /controller/active-alarms/:serial',
          'GET /controller/hierarchy/:serial',
          'GET /controller/readings/:serial',
          'GET /controller/alarm-history/:serial',
          'GET /version',
          'GET /subscription/list',
          'POST /subscription/create',
          'GET /subscription/:id',
          'POST /subscription/renew/:id',
          'POST /subscription/rotate-secret/:id',
          'DELETE /subscription/cancel/:id',
          'DELETE /subscription/:id',
          'GET /subscription/deliveries/:id',
          'POST /subscription/resend/:id',
          'GET /v2/api-docs',
          'GET /openapi.json',
          'GET /docs',
          'GET /docs*',
          'GET /docs/json',
          'GET /docs/yaml',
          'GET /docs/static/index.html',
          'GET /docs/static/swagger-initializer.js',
          'GET /',
          'GET /app',
          'GET /app*',
        ].sort(),
      );
    });

    describe('health', () => {
      it('/healthz answers ok without credentials', async () => {
        const res = await app.inject('/healthz');
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.json()).toEqual({ status: 'ok' });
      });

      it('/readyz reports the store and its newest migration', async () => {
        const res = await app.inject('/readyz');
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ status: 'ready', store: factory.name, migration: store.latestMigration() });
        expect(await store.currentMigration()).toBe(store.latestMigration());
      });

      it('/readyz answers 503 (not 500) when the store is unreachable', async () => {
        const empty = await factory.create();
        try {
          // A second app on a second store: the factory holds no global state.
          const fresh = await buildTestApp(empty.store);
          try {
            expect((await fresh.inject('/readyz')).statusCode).toBe(200);
          } finally {
            await fresh.close();
          }
          await empty.store.close();
          const closed = await buildTestApp(empty.store);
          try {
            const res = await closed.inject('/readyz');
            expect(res.statusCode).toBe(503);
            expect(res.json()).toEqual({ status: 'store unreachable', store: factory.name, migration: null });
            expect((await closed.inject('/healthz')).statusCode).toBe(200);
          } finally {
            await closed.close();
          }
        } finally {
          await empty.drop();
        }
      });
    });

    describe('unknown routes', () => {
      for (const [method, url] of [
        ['GET', '/nope'],
        ['GET', '/api/flowline/v1'],
        ['GET', '/api/flowline/v1/nope'],
        ['GET', '/api/flowline/v2/controllers'],
        ['PUT', '/api/flowline/v1/controllers'],
        ['DELETE', '/api/flowline/v1/account'],
        ['GET', '/ingest/v1/readings'],
        ['PUT', '/healthz'],
      ] as const) {
        it(`${method} ${url} → 404 JSON envelope`, async () => {
          for (const headers of [{}, auth]) {
            const res = await app.inject({ method, url, headers });
            expectNativeError(res, 404, 'not_found', `Route ${method} ${url} not found.`);
          }
        });
      }

      it('the 404 message leaves the query string out', async () => {
        const res = await app.inject({ url: '/nope?token=secret-value' });
        expectNativeError(res, 404, 'not_found', 'Route GET /nope not found.');
        expect(res.body).not.toContain('secret-value');
      });

      it('a trailing slash is the same route (Fluent clients use both)', async () => {
        const res = await app.inject({ url: `${API}/controllers/`, headers: auth });
        expect(res.statusCode).toBe(200);
      });
    });

    describe('malformed path and query values → 400, never 500', () => {
      const cases: [string, RegExp | string][] = [
        [`${API}/channels/abc/readings`, /params\/id/],
        [`${API}/channels/1.5/readings`, /params\/id/],
        [`${API}/channels/0/readings`, /params\/id/],
        [`${API}/channels/-1/readings`, /params\/id/],
        [`${API}/channels/99999999999999999999/readings`, /params\/id/],
        [`${API}/channels/1e400/readings`, /params\/id/],
        [`${API}/channels/NaN/readings`, /params\/id/],
        [`${API}/channels/true/readings`, /params\/id/],
        [`${API}/channels/%20/readings`, /params\/id/],
        [`${API}/channels//readings`, /params\/id/],
        [`${API}/channels/S11ID/readings?from=2026-11-24T08:00:00Z&to=2026-11-24T07:00:00Z`, 'The range is reversed: "from" is after "to".'],
        [`${API}/channels/S11ID/readings?from=2026-11-24T10:00:00%2B02:00&to=2026-11-24T07:59:59Z`, 'The range is reversed: "from" is after "to".'],
        [`${API}/channels/S11ID/readings?from=yesterday`, /querystring\/from/],
        [`${API}/channels/S11ID/readings?from=`, /querystring\/from/],
        [`${API}/channels/S11ID/readings?to=2026-02-30T00:00:00Z`, '"to" is not a valid ISO 8601 date-time.'],
        [`${API}/channels/S11ID/readings?from=2026-13-01T00:00:00Z`, '"from" is not a valid ISO 8601 date-time.'],
        [`${API}/channels/S11ID/readings?from=2026-11-24T07:00:00Z&from=2026-11-24T08:00:00Z`, /querystring\/from/],
        [`${API}/channels/S11ID/readings?from=${'9'.repeat(5000)}`, /querystring\/from/],
        [`${API}/channels/S11ID/readings?order=sideways`, /querystring\/order/],
        [`${API}/channels/S11ID/readings?order=`, /querystring\/order/],
        [`${API}/channels/S11ID/readings?limit=0`, /querystring\/limit/],
        [`${API}/channels/S11ID/readings?limit=-5`, /querystring\/limit/],
        [`${API}/channels/S11ID/readings?limit=10001`, /querystring\/limit/],
        [`${API}/channels/S11ID/readings?limit=abc`, /querystring\/limit/],
        [`${API}/channels/S11ID/readings?limit=1.5`, /querystring\/limit/],
        [`${API}/channels/S11ID/readings?limit=`, /querystring\/limit/],
        [`${API}/channels/S11ID/readings?limit=1&limit=2`, /querystring\/limit/],
        [`${API}/alarms?active=maybe`, /querystring\/active/],
        [`${API}/alarms?active=`, /querystring\/active/],
        [`${API}/alarms?limit=0`, /querystring\/limit/],
        [`${API}/alarms?limit=1001`, /querystring\/limit/],
        [`${API}/alarms?limit=ten`, /querystring\/limit/],
      ];
      for (const [template, message] of cases) {
        it(template.replace('S11ID', ':id').slice(0, 120), async () => {
          const res = await app.inject({ url: template.replace('S11ID', String(s11)), headers: auth });
          expectNativeError(res, 400, 'invalid_request', message);
        });
      }

      it('URLs refused before routing (broken percent-encoding, over-long id) → 4xx in the native envelope', async () => {
        const cases: [string, number][] = [
          [`${API}/channels/%E0%A4%A/readings`, 400],
          [`${API}/channels/%/readings`, 400],
          ['/nope/%', 400],
          [`${API}/channels/${'9'.repeat(300)}/readings`, 414],
        ];
        for (const [url, status] of cases) {
          const res = await app.inject({ url, headers: auth });
          expectNativeError(res, status, 'invalid_request');
        }
      });

      it('query values that are fine but odd still answer 200', async () => {
        for (const query of ['', '?order=asc', '?limit=10000', '?from=2026-11-24T07:00:00Z&to=2026-11-24T07:00:00Z', '?from=2026-11-24T07:00:00&unknown=1', '?from=2026-11-24%2007:00:00Z']) {
          const res = await app.inject({ url: `${API}/channels/${s11}/readings${query}`, headers: auth });
          expect(res.statusCode, query).toBe(200);
          expect(res.json().readings).toHaveLength(1);
        }
        const alarms = await app.inject({ url: `${API}/alarms?active=true&limit=1000`, headers: auth });
        expect(alarms.statusCode).toBe(200);
        expect(alarms.json()).toEqual({ alarms: [] });
      });

      it('an inclusive one-instant range returns that reading; an empty range returns none', async () => {
        const hit = await app.inject({ url: `${API}/channels/${s11}/readings?from=2026-11-24T07:00:00Z&to=2026-11-24T07:00:00Z`, headers: auth });
        expect(hit.json().readings.map((r: { time: string }) => r.time)).toEqual(['2026-11-24T07:00:00.000Z']);
        const miss = await app.inject({ url: `${API}/channels/${s11}/readings?from=2026-11-24T07:00:00.001Z`, headers: auth });
        expect(miss.statusCode).toBe(200);
        expect(miss.json()).toEqual({ channel_id: s11, readings: [] });
      });
    });

    describe('bodies', () => {
      it('a body over 1 MB on a non-ingest route → 413 envelope', async () => {
        const res = await app.inject({
          method: 'POST',
          url: `${API}/account/token`,
          headers: { ...auth, 'content-type': 'application/json' },
          payload: `{"accept_terms":true${' '.repeat(1024 * 1024)}}`,
        });
        expectNativeError(res, 413, 'payload_too_large');
      });

      it('malformed token-regeneration bodies → 4xx envelope', async () => {
        const login = { authorization: basic(acme.user.email, acme.user.password) };
        const cases: [string | undefined, string | undefined, number][] = [
          [undefined, undefined, 400],
          ['application/json', '', 400],
          ['application/json', '{', 400],
          ['application/json', 'null', 400],
          ['application/json', '[]', 400],
          ['application/json', '"yes"', 400],
          ['application/json', '{"accept_terms":null}', 400],
          ['application/json', '{"__proto__":{"accept_terms":true}}', 400],
          ['application/xml', '<accept_terms>true</accept_terms>', 415],
        ];
        for (const [type, payload, status] of cases) {
          const res = await app.inject({
            method: 'POST',
            url: `${API}/account/token`,
            headers: { ...login, ...(type ? { 'content-type': type } : {}) },
            ...(payload === undefined ? {} : { payload }),
          });
          expectNativeError(res, status, 'invalid_request');
        }
        // None of them issued a token: the old one still works.
        expect((await app.inject({ url: `${API}/account`, headers: auth })).statusCode).toBe(200);
      });
    });

    it('a sweep of odd inputs never produces a 500', async () => {
      // A broad sweep of odd inputs over every route, asserting only "4xx, JSON envelope".
      const urls = [
        `${API}/channels/${s11}/readings?from[]=x`,
        `${API}/channels/${s11}/readings?from=%00`,
        `${API}/channels/${s11}/readings?order[$ne]=asc`,
        `${API}/alarms?active[]=true`,
        `${API}/alarms?limit=%00`,
        `${API}/controllers?x=${'%FF'.repeat(10)}`,
        `/ingest/v1/readings`,
      ];
      for (const url of urls) {
        const res = await app.inject({ url, headers: auth });
        expect(res.statusCode, url).toBeGreaterThanOrEqual(200);
        expect(res.statusCode, url).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(Object.keys(res.json()), url).toEqual(['error']);
          expect(typeof res.json().error.message, url).toBe('string');
        }
      }
    });
  });
}
