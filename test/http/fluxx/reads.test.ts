import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_TYPES, MODELS } from '../../../src/domain/models.js';
import { buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import { registeredRoutes } from '../support.js';

/**
 * The Fluxx face's reads as public clients make them: parameters as query string, form,
 * multipart or JSON; the records envelope; Fluxx errors; and no customer ever reaching another's.
 */

const NOW = Date.parse('2026-11-25T15:30:00Z');
const PREFIX = '/api/rest/v2';

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: Fluxx reads`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let app: FastifyInstance;
    let a: TenantFixture;
    let b: TenantFixture;
    const bearer = (t: TenantFixture) => ({ authorization: `Bearer ${t.user.token}` });

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: () => NOW }));
      await store.migrate();
      a = await createTenant(store, 'Acme');
      b = await createTenant(store, 'Bolt');
      for (const [t, value] of [
        [a, 1],
        [b, 9],
      ] as const) {
        await store.ingest(t.controller.id, { readings: [0, 1, 2].map((i) => ({ channelId: t.channels.s11.id, time: NOW - i * 60_000, value: value + i })), alarms: [] }, NOW);
      }
      app = await buildTestApp(store, manualClock(NOW), { RATE_LIMITS: 'fluxx.list=100000/1m,fluxx.get=100000/1m,fluxx.anonymous=100000/1m' });
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
      await drop?.();
    });

    it('takes the same parameters from the query string, a form, multipart and JSON', async () => {
      const cols = JSON.stringify(['value', 'time']);
      const sort = JSON.stringify(['time', 'desc']);
      const expected = { records: { reading: [{ id: expect.any(Number), value: 2, time: '2026-11-25T15:29:00Z' }] }, total_pages: 3, total_entries: 3, current_page: 2, per_page: 1 };
      const query = await app.inject({ url: `${PREFIX}/reading?per_page=1&page=2&cols=${encodeURIComponent(cols)}&sort=${encodeURIComponent(sort)}`, headers: bearer(a) });
      expect(query.statusCode, query.body).toBe(200);
      expect(query.json()).toEqual(expected);
      const form = await app.inject({
        method: 'POST',
        url: `${PREFIX}/reading/list`,
        headers: { ...bearer(a), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ per_page: '1', page: '2', cols, sort }).toString(),
      });
      expect(form.json()).toEqual(expected);
      const boundary = 'xYzZy';
      const parts = Object.entries({ per_page: '1', page: '2', cols, sort }).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
      const multipart = await app.inject({
        method: 'POST',
        url: `${PREFIX}/reading/list`,
        headers: { ...bearer(a), 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: `${parts.join('')}--${boundary}--\r\n`,
      });
      expect(multipart.statusCode, multipart.body).toBe(200);
      expect(multipart.json()).toEqual(expected);
      const json = await app.inject({ method: 'POST', url: `${PREFIX}/reading/list`, headers: bearer(a), payload: { per_page: 1, page: 2, cols: ['value', 'time'], sort: ['time', 'desc'] } });
      expect(json.json()).toEqual(expected);
    });

    it('answers errors as {"error": {"code", "message"}} naming the problem, never a 500', async () => {
      const cases: [string, number, RegExp][] = [
        [`${PREFIX}/widget`, 404, /Model type "widget"/],
        [`${PREFIX}/user?cols=${encodeURIComponent('["password_hash"]')}`, 400, /no field "password_hash"/],
        [`${PREFIX}/user?per_page=501`, 400, /per_page must be at most 500/],
        [`${PREFIX}/user?per_page=0`, 400, /per_page/],
        [`${PREFIX}/user?filter=${encodeURIComponent('{bad')}`, 400, /filter is not valid JSON/],
        [`${PREFIX}/controller?filter=${encodeURIComponent('{"group_type":"and","conditions":[["name","drop table","x"]]}')}`, 400, /unknown operator "drop table"/],
        [`${PREFIX}/controller?sort=${encodeURIComponent('["name; drop table users","asc"]')}`, 400, /no field "name; drop table users"/],
        [`${PREFIX}/controller?relation=${encodeURIComponent('{"name":["id"]}')}`, 400, /refers to no other model/],
        // Values the columns cannot hold are refused before PostgreSQL would fail on them.
        [`${PREFIX}/controller?filter=${encodeURIComponent('{"conditions":[["id","eq",1e20]]}')}`, 400, /not an integer this field can hold/],
        [`${PREFIX}/alarm?filter=${encodeURIComponent('{"conditions":[["code","eq",3000000000]]}')}`, 400, /not an integer this field can hold/],
        [`${PREFIX}/controller?filter=${encodeURIComponent('{"conditions":[["id","range","1.5-2.5"]]}')}`, 400, /of whole numbers/],
        [`${PREFIX}/controller?filter=${encodeURIComponent('{"conditions":[["name","like","abc\\\\"]]}')}`, 400, /single backslash/],
      ];
      for (const [url, status, message] of cases) {
        const res = await app.inject({ url, headers: bearer(a) });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(status);
        const body = res.json() as { error: { code: number; message: string } };
        expect(body.error.code).toBe(status);
        expect(body.error.message).toMatch(message);
        expect(res.headers['x-rate-limit-remaining']).toMatch(/^\d+$/);
      }
      const anonymous = await app.inject({ url: `${PREFIX}/user` });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toEqual({ error: { code: 401, message: 'Authentication credentials were not provided.' } });
    });

    it('every route keeps each customer to its own records, for every model', async () => {
      const routes = registeredRoutes(app).filter((r) => r.includes(PREFIX));
      // Reads are checked here; writes in writes.test.ts.
      expect(routes.filter((r) => r.startsWith('GET') || r.endsWith('/list')).sort()).toEqual(['GET /api/rest/v2/:model_type', 'GET /api/rest/v2/:model_type/:id', 'GET /api/rest/v2/doc', 'GET /api/rest/v2/doc/:model_type', 'POST /api/rest/v2/:model_type/list']);
      expect(routes.filter((r) => !r.startsWith('GET') && !r.endsWith('/list')).sort()).toEqual(['DELETE /api/rest/v2/:model_type/:id', 'POST /api/rest/v2/:model_type', 'PUT /api/rest/v2/:model_type/:id']);
      for (const type of MODEL_TYPES) {
        const list = async (t: TenantFixture) => {
          const res = await app.inject({ url: `${PREFIX}/${type}?per_page=500`, headers: bearer(t) });
          expect(res.statusCode, res.body).toBe(200);
          const listed = await app.inject({ method: 'POST', url: `${PREFIX}/${type}/list`, headers: bearer(t), payload: { per_page: 500 } });
          expect(listed.body).toBe(res.body);
          return (res.json() as { records: Record<string, { id: number }[]> }).records[type]!;
        };
        const mine = await list(a);
        const theirs = await list(b);
        const theirIds = new Set(theirs.map((r) => r.id));
        expect(mine.some((r) => theirIds.has(r.id)), type).toBe(false);
        for (const row of theirs) {
          const foreign = await app.inject({ url: `${PREFIX}/${type}/${row.id}`, headers: bearer(a) });
          expect(foreign.statusCode, `${type} ${row.id}`).toBe(404);
          expect(foreign.json()).toEqual({ error: { code: 404, message: `${type} ${row.id} not found.` } });
        }
        for (const row of mine.slice(0, 2)) {
          const own = await app.inject({ url: `${PREFIX}/${type}/${row.id}`, headers: bearer(a) });
          expect(own.statusCode, own.body).toBe(200);
        }
      }
      // Relations and cross-model filters cannot reach the other customer either.
      const filter = JSON.stringify({ group_type: 'and', conditions: [['customer_id', 'filter', { group_type: 'and', conditions: [['name', 'eq', 'Bolt']] }]] });
      const res = await app.inject({ url: `${PREFIX}/controller?filter=${encodeURIComponent(filter)}`, headers: bearer(a) });
      expect(res.json()).toMatchObject({ total_entries: 0 });
      expect(res.body).not.toContain('Bolt');
    });

    it('expands relations in place and leaves blank fields out', async () => {
      const res = await app.inject({ url: `${PREFIX}/controller?cols=${encodeURIComponent('["name","tag"]')}&relation=${encodeURIComponent('{"facility_id":["name"]}')}`, headers: bearer(a) });
      expect(res.json()).toEqual({
        records: { controller: [{ id: a.controller.id, name: a.controller.name, facility_id: [{ id: a.facility.id, name: a.facility.name }] }] },
        total_pages: 1,
        total_entries: 1,
        current_page: 1,
        per_page: 25,
      });
    });
  });
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: Fluxx documentation page`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let app: FastifyInstance;
    let t: TenantFixture;

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: () => NOW }));
      await store.migrate();
      t = await createTenant(store, 'Docs');
      app = await buildTestApp(store, manualClock(NOW));
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
      await drop?.();
    });

    it('is for admins only: others 403, anonymous 401, in the Fluxx envelope', async () => {
      for (const url of [`${PREFIX}/doc`, `${PREFIX}/doc/controller`]) {
        const user = await app.inject({ url, headers: { authorization: `Bearer ${t.user.token}` } });
        expect(user.statusCode).toBe(403);
        expect(user.json()).toEqual({ error: { code: 403, message: 'The API documentation is for admins.' } });
        const anonymous = await app.inject({ url });
        expect(anonymous.statusCode).toBe(401);
      }
    });

    it('states the rate limits this server runs with', async () => {
      const tuned = await buildTestApp(store, manualClock(NOW), { RATE_LIMITS: 'fluxx.write=30/1m,fluxx.get=90/30s' });
      try {
        const doc = (await tuned.inject({ url: `${PREFIX}/doc?format=json`, headers: { authorization: `Bearer ${t.admin.token}` } })).json() as { methods: { action: string; rate_limit: string }[] };
        expect(Object.fromEntries(doc.methods.map((m) => [m.action, m.rate_limit]))).toEqual({ index: '1500 per minute', get: '90 per 30 s', create: '30 per minute', update: '30 per minute', delete: '30 per minute' });
      } finally {
        await tuned.close();
      }
    });

    it('lists parameters, methods, the token call and every class, generated from the model definitions', async () => {
      const admin = { authorization: `Bearer ${t.admin.token}` };
      const html = await app.inject({ url: `${PREFIX}/doc`, headers: admin });
      expect(html.statusCode).toBe(200);
      expect(html.headers['content-type']).toMatch(/^text\/html/);
      for (const text of ['/oauth/token', 'client_credentials', 'per_page', 'filter', 'relation', '1500 per minute', '180 per minute', '60 per minute', 'not-starts_with', 'not-or']) expect(html.body).toContain(text);
      for (const type of MODEL_TYPES) expect(html.body).toContain(`${PREFIX}/doc/${type}"`);
      const json = await app.inject({ url: `${PREFIX}/doc?format=json`, headers: admin });
      expect((json.json() as { classes: string[] }).classes).toEqual([...MODEL_TYPES]);

      for (const type of MODEL_TYPES) {
        const page = await app.inject({ url: `${PREFIX}/doc/${type}`, headers: admin });
        expect(page.statusCode, type).toBe(200);
        expect(page.body).toContain('curl ');
        const doc = (await app.inject({ url: `${PREFIX}/doc/${type}`, headers: { ...admin, accept: 'application/json' } })).json() as { fields: { name: string }[] };
        expect(doc.fields.map((f) => f.name)).toEqual(MODELS[type].fields.map((f) => f.name));
        for (const f of doc.fields) expect(page.body).toContain(`<code>${f.name}</code>`);
      }
      expect(JSON.stringify((await app.inject({ url: `${PREFIX}/doc/user?format=json`, headers: admin })).json())).not.toMatch(/password|token_hash/);
      expect((await app.inject({ url: `${PREFIX}/doc/widget`, headers: admin })).statusCode).toBe(404);
    });
  });
}
