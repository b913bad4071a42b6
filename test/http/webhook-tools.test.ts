import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { buildApp } from '../../src/http/app.js';
import { loadConfig } from '../../src/config.js';
import { basic } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories } from '../helpers/stores.js';
import { expectStatus, RATE_LIMITS, settle, startHarness, type Harness, verifyStandard, waitFor } from './webhooks/support.js';

/**
 * The developers page's tools (`/api/flowline/v1/webhook-endpoints/{id}/test` and `…/enabled`)
 * on every store: a test event goes through the real outbox and worker (signed, in the log,
 * re-sendable), for both kinds; another customer's endpoint is not found; the Flowline rate
 * limit applies.
 */

const FL = '/api/flowline/v1';
type Json = Record<string, unknown>;
const tokenOf = (t: TenantFixture) => ({ authorization: `Token ${t.user.token}` });

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: webhook tools`, () => {
    let h: Harness;
    let a: TenantFixture;
    let b: TenantFixture;

    beforeAll(async () => {
      h = await startHarness(factory);
      a = await createTenant(h.store, 'Tools A');
      b = await createTenant(h.store, 'Tools B');
    });
    afterAll(async () => h?.close());

    async function flowCommandHook(t: TenantFixture, path: string): Promise<{ id: number; secret: string }> {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/webhooks/', headers: tokenOf(t), payload: { url: h.receiver.url(path) } });
      expectStatus(res, 201);
      return res.json() as { id: number; secret: string };
    }
    async function subscription(t: TenantFixture, path: string): Promise<{ id: number; secret: string }> {
      const res = await h.app.inject({ method: 'POST', url: '/subscription/create/', headers: { authorization: basic(t.user.email, t.user.token) }, payload: { 'callback-url': h.receiver.url(path), 'event-types': ['data-change'] } });
      expectStatus(res, 201);
      const body = res.json() as Json;
      return { id: body['subscription-id'] as number, secret: body.secret as string };
    }

    it('sends a signed FlowCommand test event through the outbox; it is in the log and can be re-sent', async () => {
      const hook = await flowCommandHook(a, '/tools/fc');
      const res = await h.app.inject({ method: 'POST', url: `${FL}/webhook-endpoints/${hook.id}/test`, headers: tokenOf(a) });
      expectStatus(res, 202);
      const queued = res.json() as Json;
      expect(Object.keys(queued).sort()).toEqual(['created_at', 'delivery_id', 'endpoint_id', 'event_type', 'kind', 'webhook_id']);
      expect(queued).toMatchObject({ endpoint_id: hook.id, kind: 'flowcommand', event_type: 'test' });

      await settle(h);
      const hits = h.receiver.at('/tools/fc');
      expect(hits).toHaveLength(1);
      const hit = hits[0]!;
      expect(hit.headers['fc-signature']).toBe(hook.secret);
      expect(hit.headers['webhook-id']).toBe(queued.webhook_id);
      const body = verifyStandard(hook.secret, hit) as Json;
      expect(body).toMatchObject({ type: 'test', api_version: '1', test: true, data: { id: 0, sensor_id: 0, flowrate: 0 } });

      const log = await h.app.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries/`, headers: tokenOf(a) });
      const [delivery] = (log.json() as { results: Json[] }).results;
      expect(delivery).toMatchObject({ id: queued.delivery_id, event_type: 'test', status: 'delivered', attempts: 1, response_code: 200 });

      expectStatus(await h.app.inject({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/deliveries/${queued.delivery_id}/resend/`, headers: tokenOf(a) }), 202);
      await settle(h);
      expect(h.receiver.at('/tools/fc')).toHaveLength(2);
      expect(h.receiver.at('/tools/fc')[1]!.headers['webhook-id']).toBe(queued.webhook_id);
    });

    it('sends a Fluent test event in the subscription envelope, without FC-Signature, listed in the subscription log', async () => {
      const sub = await subscription(a, '/tools/fluent');
      const res = await h.app.inject({ method: 'POST', url: `${FL}/webhook-endpoints/${sub.id}/test`, headers: { authorization: basic(a.user.email, a.user.token) } });
      expectStatus(res, 202);
      expect(res.json()).toMatchObject({ kind: 'fluent', event_type: 'test' });
      await waitFor('the test event', () => h.receiver.at('/tools/fluent').length === 1);
      const hit = h.receiver.at('/tools/fluent')[0]!;
      expect(hit.headers['fc-signature']).toBeUndefined();
      expect(verifyStandard(sub.secret, hit)).toMatchObject({ 'event-type': 'test', 'subscription-id': sub.id, test: true });
      await settle(h);
      const log = await h.app.inject({ method: 'GET', url: `/subscription/deliveries/${sub.id}`, headers: tokenOf(a) });
      expectStatus(log, 200);
      expect((log.json() as { deliveries: Json[] }).deliveries[0]).toMatchObject({ 'event-type': 'test', status: 'delivered', 'response-code': 200 });
      // The oracle also accepts it with its own clock (the harness clock is near real time).
      expect(() => new Webhook(sub.secret).verify(hit.body, { 'webhook-id': String(hit.headers['webhook-id']), 'webhook-timestamp': String(hit.headers['webhook-timestamp']), 'webhook-signature': String(hit.headers['webhook-signature']) })).not.toThrow();
    });

    it('lists the deliveries of either kind in one shape, newest first, paged with before', async () => {
      const hook = await flowCommandHook(a, '/tools/log');
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await h.app.inject({ method: 'POST', url: `${FL}/webhook-endpoints/${hook.id}/test`, headers: tokenOf(a) })).json().delivery_id as number);
      await settle(h);
      const first = await h.app.inject({ method: 'GET', url: `${FL}/webhook-endpoints/${hook.id}/deliveries?limit=2`, headers: tokenOf(a) });
      expectStatus(first, 200);
      const page = first.json() as { endpoint_id: number; deliveries: Json[]; next_before: number | null };
      expect(page.endpoint_id).toBe(hook.id);
      expect(page.deliveries.map((d) => d.id)).toEqual([ids[2], ids[1]]);
      expect(Object.keys(page.deliveries[0]!).sort()).toEqual(
        ['attempts', 'created_at', 'delivered_at', 'event_type', 'id', 'last_attempt_at', 'last_error', 'latency_ms', 'next_attempt_at', 'response_code', 'status', 'webhook_id'].sort(),
      );
      expect(page.deliveries[0]).toMatchObject({ event_type: 'test', status: 'delivered', attempts: 1, response_code: 200, next_attempt_at: null, last_error: null });
      expect(page.next_before).toBe(ids[1]);
      const rest = await h.app.inject({ method: 'GET', url: `${FL}/webhook-endpoints/${hook.id}/deliveries?limit=2&before=${page.next_before}`, headers: tokenOf(a) });
      expect((rest.json() as { deliveries: Json[]; next_before: number | null }).deliveries.map((d) => d.id)).toEqual([ids[0]]);
      expect((rest.json() as { next_before: number | null }).next_before).toBeNull();

      const sub = await subscription(a, '/tools/log-fluent');
      expectStatus(await h.app.inject({ method: 'POST', url: `${FL}/webhook-endpoints/${sub.id}/test`, headers: tokenOf(a) }), 202);
      await settle(h);
      const fluent = await h.app.inject({ method: 'GET', url: `${FL}/webhook-endpoints/${sub.id}/deliveries`, headers: tokenOf(a) });
      expect((fluent.json() as { deliveries: Json[] }).deliveries).toHaveLength(1);
    });

    it('enables and disables either kind; a disabled endpoint gets no test event (409)', async () => {
      const sub = await subscription(a, '/tools/toggle');
      const off = await h.app.inject({ method: 'PUT', url: `${FL}/webhook-endpoints/${sub.id}/enabled`, headers: tokenOf(a), payload: { enabled: false } });
      expectStatus(off, 200);
      expect(off.json()).toMatchObject({ id: sub.id, kind: 'fluent', enabled: false, disabled_reason: null });
      const list = await h.app.inject({ method: 'GET', url: '/subscription/list/', headers: tokenOf(a) });
      expect((list.json() as { 'subscription-list': Json[] })['subscription-list'].find((s) => s['subscription-id'] === sub.id)).toMatchObject({ status: 'disabled' });
      const refused = await h.app.inject({ method: 'POST', url: `${FL}/webhook-endpoints/${sub.id}/test`, headers: tokenOf(a) });
      expectStatus(refused, 409);
      expect((refused.json() as { error: { message: string } }).error.message).toMatch(/disabled/);
      expectStatus(await h.app.inject({ method: 'PUT', url: `${FL}/webhook-endpoints/${sub.id}/enabled`, headers: tokenOf(a), payload: { enabled: true } }), 200);

      const hook = await flowCommandHook(a, '/tools/toggle-fc');
      const fcOff = await h.app.inject({ method: 'PUT', url: `${FL}/webhook-endpoints/${hook.id}/enabled`, headers: tokenOf(a), payload: { enabled: false } });
      expect(fcOff.json()).toMatchObject({ kind: 'flowcommand', enabled: false });
      const fc = await h.app.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/`, headers: tokenOf(a) });
      expect(fc.json()).toMatchObject({ enabled: false });
      expectStatus(await h.app.inject({ method: 'PUT', url: `${FL}/webhook-endpoints/${hook.id}/enabled`, headers: tokenOf(a), payload: {} }), 400);
    });

    it("another customer's endpoint, or none, is not found; no credentials is 401", async () => {
      const hook = await flowCommandHook(a, '/tools/private');
      for (const [method, suffix, payload] of [
        ['POST', 'test', undefined],
        ['PUT', 'enabled', { enabled: false }],
        ['GET', 'deliveries', undefined],
      ] as const) {
        const foreign = await h.app.inject({ method, url: `${FL}/webhook-endpoints/${hook.id}/${suffix}`, headers: tokenOf(b), ...(payload ? { payload } : {}) });
        expectStatus(foreign, 404);
        expect(foreign.json()).toEqual({ error: { code: 'not_found', message: 'Webhook endpoint not found.' } });
        const missing = await h.app.inject({ method, url: `${FL}/webhook-endpoints/99999999/${suffix}`, headers: tokenOf(a), ...(payload ? { payload } : {}) });
        expect(missing.json()).toEqual(foreign.json());
        expectStatus(await h.app.inject({ method, url: `${FL}/webhook-endpoints/${hook.id}/${suffix}`, ...(payload ? { payload } : {}) }), 401);
      }
      const fc = await h.app.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/`, headers: tokenOf(a) });
      expect(fc.json()).toMatchObject({ enabled: true });
      const log = await h.app.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries/`, headers: tokenOf(a) });
      expect((log.json() as { count: number }).count).toBe(0);
    });

    it('is rate limited like the Flowline API', async () => {
      const config = loadConfig({ LOG_LEVEL: 'silent', WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8', RATE_LIMITS: `${RATE_LIMITS},flowline.default=2/1m` });
      const tight = await buildApp({ config, store: h.store, clock: h.clock, secrets: h.secrets });
      try {
        const hook = await flowCommandHook(a, '/tools/limited');
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) statuses.push((await tight.inject({ method: 'POST', url: `${FL}/webhook-endpoints/${hook.id}/test`, headers: tokenOf(a) })).statusCode);
        expect(statuses).toEqual([202, 202, 429]);
      } finally {
        await tight.close();
      }
    });
  });
}
