import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_TYPES, MODELS } from '../../../src/domain/models.js';
import { buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';

/** Fluxx writes: data and cols as clients send them, validation, roles, tenant rules, the write tier. */

const NOW = Date.parse('2026-11-25T15:30:00Z');
const PREFIX = '/api/rest/v2';
const form = (params: Record<string, unknown>) => new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: Fluxx writes`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let app: FastifyInstance;
    let a: TenantFixture;
    let b: TenantFixture;
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const write = (token: string, method: 'POST' | 'PUT' | 'DELETE', url: string, params: Record<string, unknown> = {}) =>
      app.inject({ method, url: `${PREFIX}${url}`, headers: { ...as(token), 'content-type': 'application/x-www-form-urlencoded' }, payload: form(params) });

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: () => NOW }));
      await store.migrate();
      a = await createTenant(store, 'Acme');
      b = await createTenant(store, 'Bolt');
      app = await buildTestApp(store, manualClock(NOW), { RATE_LIMITS: 'fluxx.write=100000/1m,fluxx.get=100000/1m,fluxx.list=100000/1m' });
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
      await drop?.();
    });

    it('creates, updates (clearing with "") and deletes, answering with the chosen cols', async () => {
      const created = await write(a.admin.token, 'POST', '/facility', { data: { name: 'North Yard', address: '1 Main St', latitude: '35.5' }, cols: ['name', 'address', 'latitude', 'customer_id'] });
      expect(created.statusCode, created.body).toBe(201);
      const facility = (created.json() as { facility: { id: number } }).facility;
      expect(created.json()).toEqual({ facility: { id: facility.id, name: 'North Yard', address: '1 Main St', latitude: 35.5, customer_id: a.customer.id } });

      const controller = await write(a.admin.token, 'POST', '/controller', { data: { facility_id: facility.id, serial_number: '7700000001', model: 'W900', name: 'North Tower', activated_at: '11/01/2026' }, cols: ['name', 'activated_at'] });
      expect(controller.json()).toMatchObject({ controller: { name: 'North Tower', activated_at: '2026-11-01T00:00:00Z' } });
      const controllerId = (controller.json() as { controller: { id: number } }).controller.id;
      const process = await write(a.user.token, 'POST', '/process', { data: { controller_id: controllerId, name: 'Loop' } });
      const processId = (process.json() as { process: { id: number } }).process.id;
      const channel = await write(a.user.token, 'POST', '/channel', { data: { controller_id: controllerId, process_id: processId, number: 'S1', name: 'pH', kind: 'input', type: 'ph' } });
      expect(channel.statusCode, channel.body).toBe(201);

      const updated = await write(a.admin.token, 'PUT', `/facility/${facility.id}`, { data: { address: '', name: 'North Yard 2' }, cols: ['name', 'address'] });
      expect(updated.json()).toEqual({ facility: { id: facility.id, name: 'North Yard 2' } });
      const deleted = await write(a.admin.token, 'DELETE', `/facility/${facility.id}`);
      expect(deleted.statusCode).toBe(200);
      expect(deleted.body).toBe('true');
      expect((await app.inject({ url: `${PREFIX}/controller/${controllerId}`, headers: as(a.admin.token) })).statusCode).toBe(404);
    });

    it('validates data against the model: unknown, unsettable, required, types, references, duplicates', async () => {
      const cases: [string, Record<string, unknown>, number, RegExp][] = [
        ['/facility', { data: '{bad' }, 400, /data is not valid JSON/],
        ['/facility', {}, 400, /data must be a JSON object/],
        ['/facility', { data: { name: 'x', colour: 'red' } }, 400, /no field "colour"/],
        ['/facility', { data: { name: 'x', customer_id: b.customer.id } }, 400, /customer_id cannot be set/],
        ['/facility', { data: { address: 'x' } }, 400, /name is required/],
        ['/facility', { data: { name: 'x', latitude: 'north' } }, 400, /latitude: "north" is not a number/],
        ['/controller', { data: { facility_id: b.facility.id, serial_number: '1', model: 'W', name: 'n' } }, 400, /there is no facility/],
        ['/controller', { data: { facility_id: a.facility.id, serial_number: a.controller.serialNumber, model: 'W', name: 'n' } }, 409, /already exists/],
        ['/channel', { data: { controller_id: a.controller.id, process_id: 999_999, number: 'S7', name: 'x', kind: 'input', type: 'ph' } }, 400, /there is no process/],
        ['/channel', { data: { controller_id: a.controller.id, number: 'S7', name: 'x', kind: 'sideways', type: 'ph' } }, 400, /is not a kind/],
        ['/user', { data: { email: 'x@acme.example', name: 'X', role: 'root' } }, 400, /is not a role/],
      ];
      for (const [url, params, status, message] of cases) {
        const res = await write(a.admin.token, 'POST', url, params);
        expect(res.statusCode, `${url} ${JSON.stringify(params)}: ${res.body}`).toBe(status);
        expect((res.json() as { error: { code: number; message: string } }).error).toEqual({ code: status, message: expect.stringMatching(message) });
      }
    });

    it('keeps roles: read-only models for everyone, controllers and users for admins only', async () => {
      for (const type of MODEL_TYPES.filter((t) => MODELS[t].writes === 'none')) {
        const res = await write(a.admin.token, 'POST', `/${type}`, { data: { name: 'x' } });
        expect(res.statusCode, type).toBe(403);
      }
      for (const type of MODEL_TYPES.filter((t) => MODELS[t].writes === 'admin')) {
        expect((await write(a.user.token, 'POST', `/${type}`, { data: { name: 'x' } })).statusCode, type).toBe(403);
        expect((await write(a.user.token, 'DELETE', `/${type}/1`)).statusCode, type).toBe(403);
      }
      const user = await write(a.admin.token, 'POST', '/user', { data: { email: 'Second@Acme.example', name: 'Second', role: 'admin' }, cols: ['email', 'role'] });
      expect(user.json()).toMatchObject({ user: { email: 'second@acme.example', role: 'admin' } });
      expect(user.body).not.toMatch(/password|token_hash/);
      // The new user has no password until they follow an invitation; then they log in.
      const userId = user.json().user.id as number;
      const link = await app.inject({ method: 'POST', url: `/api/flowline/v1/users/${userId}/password-link`, headers: { authorization: `Token ${a.admin.token}` } });
      expect(link.statusCode, link.body).toBe(201);
      expect(link.json().set_password_link.purpose).toBe('invite');
      const linkToken = /#token=(.+)$/.exec(link.json().set_password_link.url as string)![1];
      const set = await app.inject({ method: 'POST', url: '/api/flowline/v1/account/set-password', payload: { token: linkToken, password: 'second-admin-password' } });
      expect(set.statusCode, set.body).toBe(200);
      const loggedIn = await app.inject({ url: `${PREFIX}/facility`, headers: { authorization: `Basic ${Buffer.from('second@acme.example:second-admin-password').toString('base64')}` } });
      expect(loggedIn.statusCode).toBe(200);
      expect((await write(a.admin.token, 'DELETE', `/user/${a.admin.id}`)).statusCode).toBe(400);
    });

    it('keeps the columns consistent: defaults for NOT NULL fields, strict values, normal e-mails, fixed parents, admin-only deletes', async () => {
      const made = await write(a.admin.token, 'POST', '/facility', { data: { name: 'Zoned', time_zone: '' }, cols: ['time_zone'] });
      expect(made.json()).toMatchObject({ facility: { time_zone: 'UTC' } });
      const id = (made.json() as { facility: { id: number } }).facility.id;
      expect((await write(a.admin.token, 'PUT', `/facility/${id}`, { data: { time_zone: 'America/Chicago' }, cols: ['time_zone'] })).json()).toMatchObject({ facility: { time_zone: 'America/Chicago' } });
      expect((await write(a.admin.token, 'PUT', `/facility/${id}`, { data: { time_zone: '' }, cols: ['time_zone'] })).json()).toMatchObject({ facility: { time_zone: 'UTC' } });
      const bad: [string, string, Record<string, unknown>, RegExp][] = [
        ['PUT', `/facility/${id}`, { data: { time_zone: 'Mars/Olympus' } }, /IANA time zone/],
        ['PUT', `/facility/${id}`, { data: { name: '   ' } }, /name is required/],
        ['PUT', `/facility/${id}`, { data: { latitude: '0x10' } }, /is not a number/],
        ['PUT', `/controller/${a.controller.id}`, { data: { activated_at: '2024-02-30T00:00' } }, /is not a date/],
        ['PUT', `/channel/${a.channels.s11.id}`, { data: { controller_id: a.controller.id } }, /cannot be changed/],
        ['PUT', `/process/${a.process.id}`, { data: { controller_id: a.controller.id } }, /cannot be changed/],
        ['PUT', `/user/${a.user.id}`, { data: { email: 'nope' } }, /not an e-mail address/],
      ];
      for (const [method, url, params, message] of bad) {
        const res = await write(a.admin.token, method as 'PUT', url, params);
        expect(res.statusCode, `${url} ${JSON.stringify(params)}: ${res.body}`).toBe(400);
        expect(res.json()).toMatchObject({ error: { code: 400, message: expect.stringMatching(message) } });
      }
      const user = await write(a.admin.token, 'PUT', `/user/${a.user.id}`, { data: { email: '  Renamed@Acme.Example ', role: '' }, cols: ['email', 'role'] });
      expect(user.json()).toEqual({ user: { id: a.user.id, email: 'renamed@acme.example', role: 'user' } });
      const login = await app.inject({ url: `${PREFIX}/facility`, headers: { authorization: `Basic ${Buffer.from(`Renamed@Acme.example:${a.user.token}`).toString('base64')}` } });
      expect(login.statusCode).toBe(200);
      // Deletes cascade, so they are for admins; users create and change.
      expect((await write(a.user.token, 'DELETE', `/facility/${id}`)).statusCode).toBe(403);
      expect((await write(a.admin.token, 'DELETE', `/facility/${id}`)).statusCode).toBe(200);
    });

    it("never touches another customer's records: update and delete answer like a missing id, nothing changes", async () => {
      for (const [type, id] of [
        ['facility', b.facility.id],
        ['controller', b.controller.id],
        ['process', b.process.id],
        ['channel', b.channels.s11.id],
        ['user', b.user.id],
      ] as const) {
        const missing = 900_000 + id;
        for (const method of ['PUT', 'DELETE'] as const) {
          const params = method === 'PUT' ? { data: { name: 'Hijacked' } } : {};
          const foreign = await write(a.admin.token, method, `/${type}/${id}`, params);
          const absent = await write(a.admin.token, method, `/${type}/${missing}`, params);
          expect(foreign.statusCode, `${method} ${type}`).toBe(404);
          expect(foreign.body.replace(`${type} ${id} `, '<id> ')).toBe(absent.body.replace(`${type} ${missing} `, '<id> '));
        }
        const still = await app.inject({ url: `${PREFIX}/${type}/${id}`, headers: as(b.admin.token) });
        expect(still.statusCode).toBe(200);
        expect(still.body).not.toContain('Hijacked');
      }
      // Nor can a record be moved under another customer's parent.
      const moved = await write(a.admin.token, 'PUT', `/controller/${a.controller.id}`, { data: { facility_id: b.facility.id } });
      expect(moved.statusCode).toBe(400);
      const channel = await write(a.user.token, 'PUT', `/channel/${a.channels.unassigned.id}`, { data: { process_id: b.process.id } });
      expect(channel.statusCode).toBe(400);
    });
  });
}

describe.skipIf(storeFactories()[0]!.skipReason !== null)('Fluxx rate tiers', () => {
  it('allows 60 writes a minute per client, separately from gets (180) and index (1500)', async () => {
    const factory = storeFactories()[0]!;
    const { store, drop } = await factory.create({ now: () => NOW });
    await store.migrate();
    const t = await createTenant(store, 'Tiers');
    const app = await buildTestApp(store, manualClock(NOW));
    try {
      const headers = { authorization: `Bearer ${t.admin.token}`, 'content-type': 'application/x-www-form-urlencoded' };
      for (let i = 1; i <= 61; i++) {
        const res = await app.inject({ method: 'PUT', url: `${PREFIX}/facility/${t.facility.id}`, headers, payload: form({ data: { name: `Plant ${i}` } }) });
        expect(res.headers['x-rate-limit-limit']).toBe('60');
        expect(res.statusCode, `write ${i}`).toBe(i <= 60 ? 200 : 429);
      }
      const get = await app.inject({ url: `${PREFIX}/facility/${t.facility.id}`, headers });
      expect([get.statusCode, get.headers['x-rate-limit-limit'], get.headers['x-rate-limit-remaining']]).toEqual([200, '180', '179']);
      const index = await app.inject({ url: `${PREFIX}/facility`, headers });
      expect([index.statusCode, index.headers['x-rate-limit-limit'], index.headers['x-rate-limit-remaining']]).toEqual([200, '1500', '1499']);
      const listed = await app.inject({ method: 'POST', url: `${PREFIX}/facility/list`, headers, payload: '' });
      expect(listed.headers['x-rate-limit-remaining']).toBe('1498');
    } finally {
      await app.close();
      await store.close();
      await drop();
    }
  });
});
