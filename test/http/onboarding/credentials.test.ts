import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, issueApiToken } from '../../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import { basic, buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import { API, expectNativeError, ingest } from '../support.js';

/**
 * Credentials must neither escalate nor outlive what they stand for: a token cannot become its
 * owner's password, an API client cannot make people's logins, concurrent rotations leave one
 * live key, links die with a disable or a new password, a disabled admin's API clients stop.
 */

const START = Date.parse('2026-11-30T12:00:00Z');
const linkToken = (res: LightMyRequestResponse) => /#token=(.+)$/.exec(res.json().set_password_link.url as string)![1]!;

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: onboarding credentials`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let app: FastifyInstance;
    let a: TenantFixture;
    let operator: string;
    const clock = manualClock(START);
    const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, authorization: string | undefined, payload?: object) =>
      app.inject({ method, url, headers: authorization ? { authorization } : {}, ...(payload ? { payload } : {}) });

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: () => clock.now() }));
      a = await createTenant(store, 'Acme');
      app = await buildTestApp(store, clock, { RATE_LIMITS: 'flowline.default=100000/1m,flowline.anonymous=100000/1m,flowline.public=100000/1m,fluxx.anonymous=100000/1m,fluxx.public=100000/1m' });
      const ops = await createAccount(store, PLATFORM_SCOPE, { customerId: null, operator: true, email: 'ops@flowline.test', name: 'Ops', role: 'admin', password: 'operator-password' });
      operator = `Token ${(await issueApiToken(store, ops.id, clock)).token}`;
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('a token cannot be turned into its own password: no set-password link for oneself', async () => {
      for (const auth of [`Token ${a.admin.token}`, basic(a.admin.email, a.admin.password)]) {
        expectNativeError(await call('POST', `${API}/users/${a.admin.id}/password-link`, auth), 422, 'unprocessable', /Not for yourself/);
      }
      // For another user of the customer it works.
      expect((await call('POST', `${API}/users/${a.user.id}/password-link`, `Token ${a.admin.token}`)).statusCode).toBe(201);
    });

    it('an API client, even an admin one, does not invite, reset, change or disable people', async () => {
      const made = await call('POST', '/oauth/applications', `Token ${a.admin.token}`, { name: 'Automation', role: 'admin' });
      expect(made.statusCode, made.body).toBe(201);
      const exchange = await call('POST', '/oauth/token', undefined, { grant_type: 'client_credentials', client_id: made.json().client_id, client_secret: made.json().client_secret });
      const client = `Bearer ${exchange.json().access_token}`;
      const before = (await call('GET', `${API}/users`, operator)).json();
      expectNativeError(await call('POST', `${API}/users`, client, { email: 'evil@attacker.example', role: 'admin' }), 403, 'forbidden');
      expectNativeError(await call('POST', `${API}/users/${a.admin.id}/password-link`, client), 403, 'forbidden');
      expectNativeError(await call('PATCH', `${API}/users/${a.user.id}`, client, { disabled: true }), 403, 'forbidden');
      expect((await call('GET', `${API}/users`, operator)).json()).toEqual(before);
      // It still reads, and onboards sites, with its role.
      expect((await call('GET', `${API}/users`, client)).statusCode).toBe(200);
      expect((await call('POST', `${API}/facilities`, client, { name: 'Client-made site' })).statusCode).toBe(201);

      // A disabled admin's clients stop with them; enabled again, they work again.
      expect((await call('PATCH', `${API}/users/${a.admin.id}`, operator, { disabled: true })).statusCode).toBe(200);
      expect((await call('GET', `${API}/users`, client)).statusCode).toBe(401);
      const refused = await call('POST', '/oauth/token', undefined, { grant_type: 'client_credentials', client_id: made.json().client_id, client_secret: made.json().client_secret });
      expect(refused.statusCode).toBe(401);
      expect((await call('PATCH', `${API}/users/${a.admin.id}`, operator, { disabled: false })).statusCode).toBe(200);
      expect((await call('GET', `${API}/users`, client)).statusCode).toBe(200);
    });

    it('a link sent before a disable does not work after the enable; a new password voids unused links', async () => {
      const invited = await call('POST', `${API}/users`, `Token ${a.admin.token}`, { email: 'late@acme.example' });
      expect(invited.statusCode).toBe(201);
      const stale = linkToken(invited);
      const id = invited.json().user.id as number;
      await call('PATCH', `${API}/users/${id}`, `Token ${a.admin.token}`, { disabled: true });
      await call('PATCH', `${API}/users/${id}`, `Token ${a.admin.token}`, { disabled: false });
      expectNativeError(await call('POST', `${API}/account/set-password`, undefined, { token: stale, password: 'attacker-password' }), 404, 'not_found');

      // The same for a customer disabled and enabled again.
      const again = await call('POST', `${API}/users/${id}/password-link`, `Token ${a.admin.token}`);
      await call('PATCH', `${API}/customers/${a.customer.id}`, operator, { disabled: true });
      await call('PATCH', `${API}/customers/${a.customer.id}`, operator, { disabled: false });
      expectNativeError(await call('POST', `${API}/account/set-password`, undefined, { token: linkToken(again), password: 'attacker-password' }), 404, 'not_found');

      // A reset link issued, then the user changes the password themself: the link is void.
      const reset = await call('POST', `${API}/users/${a.user.id}/password-link`, `Token ${a.admin.token}`);
      expect(reset.statusCode).toBe(201);
      const changed = await call('PUT', `${API}/account/password`, basic(a.user.email, a.user.password), { current_password: a.user.password, new_password: 'changed-by-owner' });
      expect(changed.statusCode, changed.body).toBe(204);
      a.user.password = 'changed-by-owner';
      expectNativeError(await call('POST', `${API}/account/set-password`, undefined, { token: linkToken(reset), password: 'attacker-password' }), 404, 'not_found');
      expect((await call('GET', `${API}/account`, basic(a.user.email, 'changed-by-owner'))).statusCode).toBe(200);
    });

    it('concurrent rotations without overlap leave exactly one live key', async () => {
      const url = `${API}/controllers/${a.controller.id}/ingest-keys`;
      const answers = await Promise.all([1, 2, 3, 4].map(() => call('POST', url, `Token ${a.admin.token}`, { overlap_seconds: 0 })));
      for (const res of answers) expect(res.statusCode, res.body).toBe(201);
      const working: string[] = [];
      for (const res of answers) if ((await ingest(app, res.json().key as string, { readings: [] })).statusCode === 200) working.push(res.json().key as string);
      expect(working).toHaveLength(1);
      const states = (await call('GET', url, `Token ${a.admin.token}`)).json().ingest_keys.map((k: { state: string }) => k.state);
      expect(states.filter((s: string) => s === 'active')).toHaveLength(1);
    });

    it('Fluxx: an admin cannot change their own role there either', async () => {
      const res = await call('PUT', `/api/rest/v2/user/${a.admin.id}`, `Token ${a.admin.token}`, { data: { role: 'user' } });
      expect(res.statusCode, res.body).toBe(422);
      expect((await call('GET', `${API}/users/${a.admin.id}`, operator)).json().role).toBe('admin');
    });

    it('a model spelled with spaces is the model it names: " flow_sensor" gets the flow layout', async () => {
      const res = await call('POST', `${API}/controllers`, `Token ${a.admin.token}`, { facility_id: a.facility.id, serial_number: 'FS-SPACED', model: ' flow_sensor ', name: 'Spaced' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().controller).toMatchObject({ model: 'flow_sensor', activated_at: '2026-11-30T12:00:00.000Z' });
      expect(res.json().channels).toMatchObject([{ number: 'S1', type: 'flowrate' }]);
    });
  });
}
