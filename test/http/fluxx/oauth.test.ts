import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';

/**
 * OAuth2 client credentials as Fluxx clients use them: an admin makes a client, the client
 * gets a token in any of the four encodings, the token works on every face for its customer
 * only, for two hours, and stops when the client is removed.
 */

const NOW = Date.parse('2026-11-25T15:30:00Z');

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: OAuth client credentials`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let app: FastifyInstance;
    let a: TenantFixture;
    let b: TenantFixture;
    const clock = manualClock(NOW);
    let client: { id: number; client_id: string; client_secret: string };

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: () => NOW }));
      await store.migrate();
      a = await createTenant(store, 'Acme');
      b = await createTenant(store, 'Bolt');
      app = await buildTestApp(store, clock, { RATE_LIMITS: 'fluxx.public=100000/1m,fluxx.anonymous=100000/1m' });
      const res = await app.inject({ method: 'POST', url: '/oauth/applications', headers: { authorization: `Bearer ${a.admin.token}` }, payload: { name: 'Power BI' } });
      expect(res.statusCode, res.body).toBe(201);
      client = res.json();
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
      await drop?.();
    });

    const token = async (encoding: 'form' | 'multipart' | 'query' | 'json', id = client.client_id, secret = client.client_secret) => {
      const fields = { grant_type: 'client_credentials', client_id: id, client_secret: secret };
      if (encoding === 'query') return app.inject({ method: 'POST', url: `/oauth/token?${new URLSearchParams(fields)}` });
      if (encoding === 'json') return app.inject({ method: 'POST', url: '/oauth/token', payload: fields });
      if (encoding === 'form') return app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
      const boundary = 'b0und4ry';
      const body = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;
      return app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
    };

    it('only admins make and see API clients, of their own customer; the secret is shown once', async () => {
      expect(client).toMatchObject({ name: 'Power BI', role: 'user', client_id: expect.stringMatching(/^flc_/), client_secret: expect.any(String) });
      const user = await app.inject({ method: 'POST', url: '/oauth/applications', headers: { authorization: `Bearer ${a.user.token}` }, payload: { name: 'x' } });
      expect(user.statusCode).toBe(403);
      const listed = await app.inject({ url: '/oauth/applications', headers: { authorization: `Bearer ${a.admin.token}` } });
      expect(listed.json()).toEqual({ applications: [{ id: client.id, name: 'Power BI', client_id: client.client_id, role: 'user', created_at: '2026-11-25T15:30:00Z' }] });
      expect(listed.body).not.toContain(client.client_secret);
      const other = await app.inject({ url: '/oauth/applications', headers: { authorization: `Bearer ${b.admin.token}` } });
      expect(other.json()).toEqual({ applications: [] });
      const foreignDelete = await app.inject({ method: 'DELETE', url: `/oauth/applications/${client.id}`, headers: { authorization: `Bearer ${b.admin.token}` } });
      expect(foreignDelete.statusCode).toBe(404);
    });

    it('exchanges credentials sent in any of the four encodings for a two-hour bearer token', async () => {
      for (const encoding of ['form', 'multipart', 'query', 'json'] as const) {
        const res = await token(encoding);
        expect(res.statusCode, `${encoding}: ${res.body}`).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.json()).toEqual({ access_token: expect.stringMatching(/^flat_/), token_type: 'bearer', expires_in: 7200 });
      }
    });

    it('refuses bad credentials with an OAuth error body', async () => {
      const wrong = await token('form', client.client_id, 'nope');
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
      expect((await token('json', 'flc_unknown')).statusCode).toBe(401);
      const grant = await app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'password', client_id: client.client_id, client_secret: client.client_secret } });
      expect(grant.statusCode).toBe(400);
      expect(grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    });

    it('the token works on every face for its customer only, expires after two hours, and dies with its client', async () => {
      const { access_token } = (await token('form')).json() as { access_token: string };
      const bearer = { authorization: `Bearer ${access_token}` };
      const fluxx = await app.inject({ url: '/api/rest/v2/controller?cols=["serial_number"]', headers: bearer });
      expect(fluxx.statusCode, fluxx.body).toBe(200);
      expect(fluxx.json()).toMatchObject({ records: { controller: [{ serial_number: a.controller.serialNumber }] }, total_entries: 1 });
      const fluent = await app.inject({ url: '/controller/list/', headers: bearer });
      expect(fluent.json()).toEqual({ 'controller-list': [a.controller.serialNumber] });
      const flowcommand = await app.inject({ url: '/api/v1/flow_sensors/', headers: { authorization: `Token ${access_token}` } });
      expect(flowcommand.statusCode).toBe(200);
      expect((await app.inject({ url: `/api/rest/v2/controller/${b.controller.id}`, headers: bearer })).statusCode).toBe(404);
      // A token cannot mint lasting credentials for itself.
      expect((await app.inject({ method: 'POST', url: '/oauth/applications', headers: bearer, payload: { name: 'mine' } })).statusCode).toBe(403);
      // An API client has the role it was made with: `user` cannot write controllers.
      expect((await app.inject({ method: 'DELETE', url: `/api/rest/v2/controller/${a.controller.id}`, headers: bearer })).statusCode).toBe(403);

      clock.advance(7200 * 1000 - 1);
      expect((await app.inject({ url: '/controller/list/', headers: bearer })).statusCode).toBe(200);
      clock.advance(1);
      const expired = await app.inject({ url: '/api/rest/v2/controller', headers: bearer });
      expect(expired.statusCode).toBe(401);
      expect(expired.json()).toEqual({ error: { code: 401, message: 'Invalid token.' } });

      const fresh = ((await token('json')).json() as { access_token: string }).access_token;
      expect((await app.inject({ url: '/controller/list/', headers: { authorization: `Bearer ${fresh}` } })).statusCode).toBe(200);
      const removed = await app.inject({ method: 'DELETE', url: `/oauth/applications/${client.id}`, headers: { authorization: `Bearer ${a.admin.token}` } });
      expect(removed.statusCode).toBe(204);
      expect((await app.inject({ url: '/controller/list/', headers: { authorization: `Bearer ${fresh}` } })).statusCode).toBe(401);
      expect((await token('form')).statusCode).toBe(401);
    });
  });
}
