import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { redisRateCounter } from '../../src/ratelimit/counter.js';
import { createAccount, issueApiToken } from '../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, SESSIONS_PER_USER, signIn as signInDomain } from '../../src/domain/sessions.js';
import { basic, buildTestApp, manualClock } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { API, expectNativeError } from './support.js';

/**
 * Web-app sessions (issue 19): the cookie's flags, CSRF on every face, sessions that live in
 * the store (ended by sign-out or a password change in another app instance on the same
 * store), sign-in throttled per IP and per account, disabled users, tenant isolation.
 */

const START = Date.parse('2026-12-01T08:00:00Z');
const TEST_REDIS_URL = process.env.TEST_REDIS_URL;
const GENEROUS =
  'flowline.default=100000/1m,flowline.anonymous=100000/1m,flowline.public=100000/1m,flowline.signin=100000/1m,flowline.signin_account=100000/1m,flowline.signin_account_all=100000/1m,' +
  'fluxx.default=100000/1m,fluxx.write=100000/1m,fluxx.anonymous=100000/1m,fluent.default=100000/1m,fluent.anonymous=100000/1m,flowcommand.default=100000/1m,flowcommand.anonymous=100000/1m';

interface Session {
  token: string;
  csrf: string;
  cookie: string;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

function setCookieOf(res: LightMyRequestResponse): string {
  const header = res.headers['set-cookie'];
  const line = Array.isArray(header) ? header.find((l) => l.startsWith('flowline_session=')) : header;
  expect(line, res.body).toBeDefined();
  return line!;
}

async function signIn(app: FastifyInstance, email: string, password: string, headers: Record<string, string> = {}): Promise<Session> {
  const res = await app.inject({ method: 'POST', url: `${API}/session`, payload: { email, password }, headers });
  expect(res.statusCode, res.body).toBe(201);
  const token = /^flowline_session=([^;]*)/.exec(setCookieOf(res))![1]!;
  return { token, csrf: res.json().csrf_token as string, cookie: `flowline_session=${token}` };
}

/** GET /session's answer to a visitor who is signed out; `cleared`: the dead cookie is cleared too. */
function expectSignedOut(res: LightMyRequestResponse, cleared = true): void {
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toEqual({ account: null, csrf_token: null });
  expect(res.headers['cache-control']).toBe('no-store');
  if (cleared) expect(setCookieOf(res)).toMatch(/^flowline_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax/);
  else expect(res.headers['set-cookie']).toBeUndefined();
}

/** A request with the session cookie, and its CSRF token unless told otherwise (`null`: none). */
function withSession(app: FastifyInstance, session: Session, method: Method, url: string, payload?: object, csrf: string | null = session.csrf) {
  return app.inject({
    method,
    url,
    headers: { cookie: session.cookie, ...(csrf === null ? {} : { 'x-csrf-token': csrf }) },
    ...(payload ? { payload } : {}),
  });
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: web-app sessions`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    /** Two server processes on one store. */
    let app: FastifyInstance;
    let other: FastifyInstance;
    let a: TenantFixture;
    let b: TenantFixture;
    const clock = manualClock(START);
    let people = 0;
    /** A user of customer A of their own, so that tests changing passwords do not disturb others. */
    const person = async (role: 'admin' | 'user' = 'user') => {
      const password = `person-password-${++people}`;
      const user = await createAccount(store, PLATFORM_SCOPE, { customerId: a.customer.id, email: `person${people}@acme.example`, name: `Person ${people}`, role, password });
      return { ...user, password };
    };

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: () => clock.now() }));
      a = await createTenant(store, 'Acme');
      b = await createTenant(store, 'Bolt');
      app = await buildTestApp(store, clock, { RATE_LIMITS: GENEROUS });
      other = await buildTestApp(store, clock, { RATE_LIMITS: GENEROUS });
    });
    afterAll(async () => {
      await app?.close();
      await other?.close();
      await drop?.();
    });

    it('signs in with e-mail and password: an HttpOnly, SameSite=Lax cookie on Path=/ (not Secure over plain HTTP), the account and a CSRF token', async () => {
      const res = await app.inject({ method: 'POST', url: `${API}/session`, payload: { email: a.user.email.toUpperCase(), password: a.user.password } });
      expect(res.statusCode, res.body).toBe(201);
      const line = setCookieOf(res);
      const attributes = line.split(';').map((part) => part.trim());
      expect(attributes[0]).toMatch(/^flowline_session=fls_[A-Za-z0-9_-]{43}$/);
      expect(attributes).toContain('HttpOnly');
      expect(attributes).toContain('SameSite=Lax');
      expect(attributes).toContain('Path=/');
      expect(attributes).not.toContain('Secure');
      expect(attributes).toContain(`Max-Age=${SESSION_ABSOLUTE_MS / 1000}`);
      expect(res.headers['cache-control']).toBe('no-store');
      const account = (await app.inject({ url: `${API}/account`, headers: { authorization: `Token ${a.user.token}` } })).json();
      expect(res.json()).toEqual({ account, csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });

      // GET /session, on the other process too, answers the same account and CSRF token.
      const token = /^flowline_session=([^;]*)/.exec(line)![1]!;
      for (const instance of [app, other]) {
        const again = await instance.inject({ url: `${API}/session`, headers: { cookie: `theme=dark; flowline_session=${token}` } });
        expect(again.statusCode, again.body).toBe(200);
        expect(again.json()).toEqual(res.json());
      }
      // The session is only a digest in the store.
      const rows = await store.kysely.selectFrom('sessions').selectAll().execute();
      expect(rows.some((r) => r.token_hash.includes(token) || token.includes(r.token_hash))).toBe(false);
    });

    it('marks the cookie Secure behind TLS: X-Forwarded-Proto with a trusted proxy, or an https PUBLIC_URL; never on a header from an untrusted client', async () => {
      const proxied = await buildTestApp(store, clock, { RATE_LIMITS: GENEROUS, TRUST_PROXY: 'true' });
      const direct = await buildTestApp(store, clock, { RATE_LIMITS: GENEROUS });
      const public_ = await buildTestApp(store, clock, { RATE_LIMITS: GENEROUS, PUBLIC_URL: 'https://flowline.example.com' });
      try {
        const post = (instance: FastifyInstance, headers: Record<string, string> = {}) =>
          instance.inject({ method: 'POST', url: `${API}/session`, payload: { email: a.user.email, password: a.user.password }, headers });
        const secure = (res: LightMyRequestResponse) => setCookieOf(res).split(';').map((p) => p.trim()).includes('Secure');
        expect(secure(await post(proxied, { 'x-forwarded-proto': 'https' }))).toBe(true);
        expect(secure(await post(proxied, { 'x-forwarded-proto': 'http' }))).toBe(false);
        expect(secure(await post(direct, { 'x-forwarded-proto': 'https' }))).toBe(false);
        expect(secure(await post(public_))).toBe(true);
      } finally {
        await Promise.all([proxied.close(), direct.close(), public_.close()]);
      }
    });

    it('answers one 401 for a wrong password and an unknown address; GET /session without a session answers that nobody is signed in', async () => {
      const wrong = await app.inject({ method: 'POST', url: `${API}/session`, payload: { email: a.user.email, password: 'not-the-password' } });
      const unknown = await app.inject({ method: 'POST', url: `${API}/session`, payload: { email: 'nobody@acme.example', password: 'not-the-password' } });
      expectNativeError(wrong, 401, 'invalid_credentials', 'Wrong e-mail address or password.');
      expect(unknown.statusCode).toBe(401);
      expect(unknown.json()).toEqual(wrong.json());
      expect(wrong.headers['set-cookie']).toBeUndefined();
      // An API token is not a password here.
      expectNativeError(await app.inject({ method: 'POST', url: `${API}/session`, payload: { email: a.user.email, password: a.user.token } }), 401, 'invalid_credentials');

      expectSignedOut(await app.inject({ url: `${API}/session` }), false);
      expectSignedOut(await app.inject({ url: `${API}/session`, headers: { cookie: 'flowline_session=fls_forged' } }));
      // A request with an Authorization header is not a session, even with the cookie.
      const session = await signIn(app, a.user.email, a.user.password);
      // Signing in again from the same browser ends the session it held (here: as another person).
      const next = await signIn(app, a.admin.email, a.admin.password, { cookie: session.cookie });
      expectSignedOut(await other.inject({ url: `${API}/session`, headers: { cookie: session.cookie } }));
      expect((await other.inject({ url: `${API}/session`, headers: { cookie: next.cookie } })).json().account.email).toBe(a.admin.email);
      const again = await signIn(app, a.user.email, a.user.password);
      expectNativeError(await app.inject({ url: `${API}/session`, headers: { cookie: again.cookie, authorization: `Token ${a.user.token}` } }), 401, 'not_authenticated');
    });

    it('GET /session signed out is counted per IP in the public class, never as a failed login: it cannot lock an address out of the API', async () => {
      const limited = await buildTestApp(store, clock, { RATE_LIMITS: `${GENEROUS},flowline.anonymous=3/1m,flowline.public=20/1m` });
      try {
        const ip = '198.51.100.60';
        for (let i = 0; i < 20; i++) expectSignedOut(await limited.inject({ url: `${API}/session`, remoteAddress: ip }), false);
        // An ended session's cookie: signed out too, and the cookie is cleared.
        const ended = await limited.inject({ url: `${API}/session`, remoteAddress: '198.51.100.61', headers: { cookie: 'flowline_session=fls_ended' } });
        expectSignedOut(ended);
        // The public budget is spent (429), but the anonymous one is untouched: the API still answers this address.
        expectNativeError(await limited.inject({ url: `${API}/session`, remoteAddress: ip }), 429, 'rate_limited');
        expect((await limited.inject({ url: `${API}/account`, headers: { authorization: `Token ${a.user.token}` }, remoteAddress: ip })).statusCode).toBe(200);
        expect((await limited.inject({ url: `${API}/account`, remoteAddress: '198.51.100.62' })).statusCode).toBe(401);
      } finally {
        await limited.close();
      }
    });

    it('refuses a state-changing Flowline call without the CSRF token or with a wrong one (403), accepts it with the token; reads and Authorization-header calls need none', async () => {
      const session = await signIn(app, a.admin.email, a.admin.password);
      expect((await withSession(app, session, 'GET', `${API}/facilities`, undefined, null)).statusCode).toBe(200);
      expectNativeError(await withSession(app, session, 'POST', `${API}/facilities`, { name: 'No token' }, null), 403, 'forbidden', /X-CSRF-Token/);
      expectNativeError(await withSession(app, session, 'POST', `${API}/facilities`, { name: 'Wrong token' }, 'x'.repeat(43)), 403, 'forbidden');
      // Another session's token is wrong for this one.
      const second = await signIn(app, a.admin.email, a.admin.password);
      expectNativeError(await withSession(app, session, 'POST', `${API}/facilities`, { name: 'Other token' }, second.csrf), 403, 'forbidden');
      const made = await withSession(app, session, 'POST', `${API}/facilities`, { name: 'With token' });
      expect(made.statusCode, made.body).toBe(201);
      // Nothing was written by the refused calls.
      const names = (await app.inject({ url: `${API}/facilities`, headers: { authorization: `Token ${a.admin.token}` } })).json();
      expect(JSON.stringify(names)).not.toMatch(/No token|Wrong token|Other token/);
      // The API's own credentials are unchanged and need no CSRF token.
      expect((await app.inject({ method: 'POST', url: `${API}/facilities`, headers: { authorization: `Token ${a.admin.token}` }, payload: { name: 'By token' } })).statusCode).toBe(201);
      expect((await app.inject({ method: 'POST', url: `${API}/facilities`, headers: { authorization: basic(a.admin.email, a.admin.password) }, payload: { name: 'By basic' } })).statusCode).toBe(201);
    });

    it('authenticates every face with the cookie and guards one write route of each with CSRF, in the face’s own envelope', async () => {
      const session = await signIn(app, a.admin.email, a.admin.password);
      // Reads on each face.
      for (const url of [`/api/v1/webhooks/`, '/controller/list/', '/api/rest/v2/facility', '/oauth/applications']) {
        const res = await withSession(app, session, 'GET', url, undefined, null);
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      }
      const faces: { name: string; url: string; payload: object; refused: (res: LightMyRequestResponse) => void }[] = [
        {
          name: 'FlowCommand',
          url: '/api/v1/webhooks/',
          payload: { url: 'https://hooks.example.com/x' },
          refused: (res) => expect(Object.keys(res.json())).toEqual(['detail']),
        },
        {
          name: 'Fluent',
          url: '/subscription/create/',
          payload: { url: 'https://hooks.example.com/y' },
          refused: (res) => expect(res.json()).toEqual({ error: expect.stringMatching(/X-CSRF-Token/) }),
        },
        {
          name: 'Fluxx',
          url: '/api/rest/v2/facility',
          payload: { data: JSON.stringify({ name: 'Fluxx site' }) },
          refused: (res) => expect(res.json()).toEqual({ error: { code: 403, message: expect.stringMatching(/X-CSRF-Token/) } }),
        },
        {
          name: 'Fluxx OAuth applications',
          url: '/oauth/applications',
          payload: { name: 'Session-made client' },
          refused: (res) => expect(res.json()).toEqual({ error: { code: 403, message: expect.stringMatching(/X-CSRF-Token/) } }),
        },
      ];
      for (const face of faces) {
        for (const csrf of [null, 'wrong']) {
          const refused = await withSession(app, session, 'POST', face.url, face.payload, csrf);
          expect(refused.statusCode, `${face.name} csrf=${csrf}: ${refused.body}`).toBe(403);
          face.refused(refused);
        }
        const accepted = await withSession(app, session, 'POST', face.url, face.payload);
        expect([401, 403], `${face.name}: ${accepted.body}`).not.toContain(accepted.statusCode);
        expect(accepted.statusCode, `${face.name}: ${accepted.body}`).toBeLessThan(500);
      }
    });

    it('signs out: DELETE /session needs the CSRF token, clears the cookie, and the session is gone on the other process', async () => {
      const session = await signIn(app, a.user.email, a.user.password);
      expectNativeError(await withSession(app, session, 'DELETE', `${API}/session`, undefined, null), 403, 'forbidden');
      expect((await withSession(other, session, 'GET', `${API}/session`)).statusCode).toBe(200);
      const out = await withSession(app, session, 'DELETE', `${API}/session`);
      expect(out.statusCode, out.body).toBe(204);
      expect(setCookieOf(out)).toMatch(/^flowline_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax/);
      expectSignedOut(await withSession(other, session, 'GET', `${API}/session`));
      expectNativeError(await withSession(other, session, 'GET', `${API}/account`), 401, 'not_authenticated');
      // Signing out again, or without any session, only clears the cookie.
      expect((await withSession(app, session, 'DELETE', `${API}/session`)).statusCode).toBe(204);
      expect((await app.inject({ method: 'DELETE', url: `${API}/session` })).statusCode).toBe(204);
    });

    it('a password change keeps only the session that made it, on every process; a set-password link and an admin reset end them all', async () => {
      const me = await person();
      const changing = await signIn(app, me.email, me.password);
      const elsewhere = await signIn(other, me.email, me.password);
      const changed = await withSession(app, changing, 'PUT', `${API}/account/password`, { current_password: me.password, new_password: 'a-brand-new-password' });
      expect(changed.statusCode, changed.body).toBe(204);
      expect((await withSession(other, changing, 'GET', `${API}/session`)).statusCode).toBe(200);
      expectSignedOut(await withSession(app, elsewhere, 'GET', `${API}/session`));
      expectSignedOut(await withSession(other, elsewhere, 'GET', `${API}/session`));

      // An admin's reset signs the user out everywhere; redeeming the link does too.
      const first = await signIn(other, me.email, 'a-brand-new-password');
      const reset = await app.inject({ method: 'POST', url: `${API}/users/${me.id}/password-link`, headers: { authorization: `Token ${a.admin.token}` } });
      expect(reset.statusCode, reset.body).toBe(201);
      for (const s of [changing, first]) expectSignedOut(await withSession(other, s, 'GET', `${API}/session`));
      const second = await signIn(other, me.email, 'a-brand-new-password');
      const token = /#token=(.+)$/.exec(reset.json().set_password_link.url as string)![1]!;
      const redeemed = await app.inject({ method: 'POST', url: `${API}/account/set-password`, payload: { token, password: 'the-third-password' } });
      expect(redeemed.statusCode, redeemed.body).toBe(200);
      expectSignedOut(await withSession(other, second, 'GET', `${API}/session`));
      await signIn(app, me.email, 'the-third-password');
    });

    it('a sign-in checked against the old password makes no session once the password has changed (the race with a password change)', async () => {
      const me = await person();
      const old = (await store.findUserCredentialsByEmail(me.email))!.passwordHash;
      const change = async () => {
        const res = await app.inject({ method: 'PUT', url: `${API}/account/password`, headers: { authorization: basic(me.email, me.password) }, payload: { current_password: me.password, new_password: 'changed-meanwhile-1' } });
        expect(res.statusCode, res.body).toBe(204);
      };
      // The domain's sign-in: the password is verified, then changed, then the session would be made.
      const racing = new Proxy(store, {
        get(target, property) {
          if (property === 'createSession') {
            return async (...args: Parameters<TestStore['createSession']>) => {
              await change();
              return target.createSession(...args);
            };
          }
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      await expect(signInDomain(racing, clock, me.email, me.password)).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' });
      expect(await store.kysely.selectFrom('sessions').select('id').where('user_id', '=', me.id).execute()).toEqual([]);
      // The store's seam itself: the old hash makes nothing, the current one a session.
      expect(await store.createSession({ userId: me.id, tokenHash: `race-${me.id}-a`, passwordHash: old, at: clock.now(), expiresAt: clock.now() + 60_000, idleSince: clock.now() - SESSION_IDLE_MS, maxPerUser: 20 })).toBeNull();
      const current = (await store.findUserCredentialsByEmail(me.email))!.passwordHash;
      expect(await store.createSession({ userId: me.id, tokenHash: `race-${me.id}-b`, passwordHash: current, at: clock.now(), expiresAt: clock.now() + 60_000, idleSince: clock.now() - SESSION_IDLE_MS, maxPerUser: 20 })).not.toBeNull();
    });

    it('a disabled user’s (or customer’s) sessions stop at once and do not come back when enabled', async () => {
      const me = await person();
      const session = await signIn(app, me.email, me.password);
      const disabled = await app.inject({ method: 'PATCH', url: `${API}/users/${me.id}`, headers: { authorization: `Token ${a.admin.token}` }, payload: { disabled: true } });
      expect(disabled.statusCode, disabled.body).toBe(200);
      expectSignedOut(await withSession(other, session, 'GET', `${API}/session`));
      expect((await app.inject({ method: 'POST', url: `${API}/session`, payload: { email: me.email, password: me.password } })).statusCode).toBe(401);
      await app.inject({ method: 'PATCH', url: `${API}/users/${me.id}`, headers: { authorization: `Token ${a.admin.token}` }, payload: { disabled: false } });
      expectSignedOut(await withSession(other, session, 'GET', `${API}/session`));

      // A customer disabled by the store (as an operator would) stops its users' sessions.
      const c = await createTenant(store, 'Cobalt');
      const cs = await signIn(app, c.user.email, c.user.password);
      expect((await withSession(other, cs, 'GET', `${API}/session`)).statusCode).toBe(200);
      await store.updateCustomer(PLATFORM_SCOPE, c.customer.id, { disabledAt: clock.now() });
      expectNativeError(await withSession(other, cs, 'GET', `${API}/account`), 401, 'invalid_credentials');
      expect((await withSession(other, cs, 'GET', '/api/v1/webhooks/', undefined, null)).statusCode).toBe(401);
    });

    it('disabling a customer ends its users’ sessions: enabling it again revives none', async () => {
      const ops = await createAccount(store, PLATFORM_SCOPE, { customerId: null, operator: true, email: `ops${++people}@flowline.test`, name: 'Ops', role: 'admin', password: 'operator-password' });
      const operator = basic(ops.email, 'operator-password');
      const d = await createTenant(store, `Delta ${people}`);
      const sessions = [await signIn(app, d.user.email, d.user.password), await signIn(other, d.admin.email, d.admin.password)];
      const mine = await signIn(app, a.user.email, a.user.password);
      const patch = (disabled: boolean) => app.inject({ method: 'PATCH', url: `${API}/customers/${d.customer.id}`, headers: { authorization: operator }, payload: { disabled } });
      expect((await patch(true)).statusCode).toBe(200);
      expect((await patch(false)).statusCode).toBe(200);
      for (const s of sessions) expectSignedOut(await withSession(other, s, 'GET', `${API}/session`));
      // Another customer's sessions are untouched.
      expect((await withSession(other, mine, 'GET', `${API}/session`)).statusCode).toBe(200);
    });

    it('a session never reaches another customer’s data', async () => {
      const session = await signIn(app, a.admin.email, a.admin.password);
      const own = await withSession(app, session, 'GET', `${API}/controllers`);
      expect(own.statusCode).toBe(200);
      expect(own.body).not.toContain(b.controller.serialNumber);
      expect((await withSession(app, session, 'GET', `${API}/channels/${b.channels.s11.id}/readings`)).statusCode).toBe(404);
      expect((await withSession(app, session, 'GET', `${API}/facilities/${b.facility.id}`)).statusCode).toBe(404);
      expect((await withSession(app, session, 'PATCH', `${API}/facilities/${b.facility.id}`, { name: 'Hijacked' })).statusCode).toBe(404);
      expect((await withSession(app, session, 'GET', `/api/rest/v2/facility/${b.facility.id}`)).statusCode).toBe(404);
      expect((await withSession(app, session, 'GET', `/controller/${b.controller.id}/`)).statusCode).toBeGreaterThanOrEqual(400);
      expect((await withSession(app, session, 'GET', `${API}/customers/${b.customer.id}`)).statusCode).toBe(404);
    });

    it('marks a channel’s series (cached privately for a while) as varying with the cookie and the Authorization header', async () => {
      const session = await signIn(app, a.user.email, a.user.password);
      const res = await withSession(app, session, 'GET', `${API}/channels/${a.channels.s11.id}/series`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('private, max-age=10');
      expect(String(res.headers.vary).split(',').map((v) => v.trim().toLowerCase())).toEqual(expect.arrayContaining(['cookie', 'authorization']));
    });

    it('answers bad input with a 4xx, never a 500', async () => {
      const post = (payload: unknown, headers: Record<string, string> = {}) =>
        app.inject({ method: 'POST', url: `${API}/session`, headers: { 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
      for (const payload of [{}, { email: 'x@y.z' }, { email: 1, password: 'p' }, { email: 'x@y.z', password: 'p', extra: true }, '{not json', { email: '', password: '' }, { email: 'a'.repeat(300), password: 'p' }]) {
        const res = await post(payload);
        expect(res.statusCode, `${JSON.stringify(payload)}: ${res.body}`).toBe(400);
      }
      expect((await post({ email: 'nul\u0000@acme.example', password: 'p' })).statusCode).toBe(401);
      for (const cookie of ['flowline_session=', 'flowline_session="', `flowline_session=${'x'.repeat(5000)}`, 'flowline_session=%00%ff', 'garbage', ';;;=;']) {
        const res = await app.inject({ url: `${API}/session`, headers: { cookie } });
        expect(res.statusCode, `${cookie.slice(0, 40)}: ${res.body}`).toBe(200);
        expect(res.json().account).toBeNull();
        const write = await app.inject({ method: 'POST', url: `${API}/facilities`, headers: { cookie, 'x-csrf-token': 'x' }, payload: { name: 'n' } });
        expect(write.statusCode, `${cookie.slice(0, 40)}: ${write.body}`).toBe(401);
      }
      const session = await signIn(app, a.user.email, a.user.password);
      const csrfTwice = await app.inject({ method: 'POST', url: `${API}/account/token`, headers: { cookie: session.cookie, 'x-csrf-token': [session.csrf, session.csrf] as unknown as string }, payload: {} });
      expect(csrfTwice.statusCode).toBeLessThan(500);
    });

    it('generates an API token for a session user (CSRF-protected, the current password typed again, the terms accepted the first time); an API token still cannot', async () => {
      const me = await person();
      const session = await signIn(app, me.email, me.password);
      expectNativeError(await withSession(app, session, 'POST', `${API}/account/token`, { accept_terms: true, password: me.password }, null), 403, 'forbidden');
      expectNativeError(await withSession(app, session, 'POST', `${API}/account/token`, { password: me.password }), 422, 'unprocessable', /accept_terms/);
      // A browser left signed in makes no lasting credential: the password is needed.
      expectNativeError(await withSession(app, session, 'POST', `${API}/account/token`, { accept_terms: true }), 422, 'unprocessable', /password/);
      expectNativeError(await withSession(app, session, 'POST', `${API}/account/token`, { accept_terms: true, password: 'not-my-password' }), 422, 'unprocessable', /current password/);
      expect((await app.inject({ url: `${API}/account`, headers: { cookie: session.cookie } })).json().has_api_token).toBe(false);
      const issued = await withSession(app, session, 'POST', `${API}/account/token`, { accept_terms: true, password: me.password });
      expect(issued.statusCode, issued.body).toBe(201);
      const token = issued.json().token as string;
      const account = await app.inject({ url: `${API}/account`, headers: { authorization: `Token ${token}` } });
      expect(account.json()).toMatchObject({ id: me.id, has_api_token: true, api_terms_accepted_at: expect.any(String) });
      // Again, without accepting: the first acceptance is kept.
      expect((await withSession(app, session, 'POST', `${API}/account/token`, { password: me.password })).statusCode).toBe(201);
      expectNativeError(await app.inject({ method: 'POST', url: `${API}/account/token`, headers: { authorization: `Token ${a.user.token}` }, payload: {} }), 403, 'password_required');
      expect((await app.inject({ method: 'POST', url: `${API}/account/token`, headers: { authorization: basic(me.email, me.password) }, payload: {} })).statusCode).toBe(201);
    });

    it('ends a session idle for 12 hours, and any session 30 days after sign-in however active', async () => {
      const idle = await signIn(app, a.user.email, a.user.password);
      const active = await signIn(app, a.user.email, a.user.password);
      const started = clock.now();
      try {
        clock.advance(SESSION_IDLE_MS - 60_000);
        expect((await withSession(app, active, 'GET', `${API}/session`)).statusCode).toBe(200);
        clock.advance(120_000);
        expectSignedOut(await withSession(other, idle, 'GET', `${API}/session`));
        expect((await withSession(other, active, 'GET', `${API}/session`)).statusCode).toBe(200);
        while (clock.now() < started + SESSION_ABSOLUTE_MS - SESSION_IDLE_MS) {
          clock.advance(SESSION_IDLE_MS / 2);
          expect((await withSession(app, active, 'GET', `${API}/session`)).statusCode).toBe(200);
        }
        clock.set(started + SESSION_ABSOLUTE_MS);
        expectSignedOut(await withSession(app, active, 'GET', `${API}/session`));
      } finally {
        clock.set(started);
      }
    });

    it('keeps the sessions table bounded: ended sessions (idle or past their limit) are purged by later sign-ins, and a user keeps at most 20', async () => {
      const started = clock.now();
      try {
        const me = await person();
        const first = await signIn(app, me.email, me.password);
        const rows = () => store.kysely.selectFrom('sessions').select('id').where('user_id', '=', me.id).execute();
        // Idle for 12 hours: another user's sign-in purges it (absolute expiry alike).
        clock.advance(SESSION_IDLE_MS + 1000);
        const somebody = await person();
        await signIn(app, somebody.email, somebody.password);
        expect(await rows()).toEqual([]);
        expect((await withSession(app, first, 'GET', `${API}/account`)).statusCode).toBe(401);

        const all: Session[] = [];
        for (let i = 0; i < SESSIONS_PER_USER + 3; i++) {
          all.push(await signIn(app, me.email, me.password));
          clock.advance(1000);
        }
        expect((await rows()).length).toBe(SESSIONS_PER_USER);
        // The oldest three ended; the newest twenty live.
        for (const s of all.slice(0, 3)) expect((await withSession(app, s, 'GET', `${API}/account`)).statusCode).toBe(401);
        for (const s of all.slice(3)) expect((await withSession(app, s, 'GET', `${API}/account`)).statusCode).toBe(200);
      } finally {
        clock.set(started);
      }
    });

    it('throttles sign-in per IP, per account and IP, and per account (429 with Retry-After in the native format); a success does not use the account budgets', async () => {
      const limited = await buildTestApp(store, clock, { RATE_LIMITS: 'flowline.signin=4/1m,flowline.signin_account=3/1m,flowline.signin_account_all=5/1m' });
      try {
        const me = await person();
        const attempt = (email: string, password: string, ip: string) =>
          limited.inject({ method: 'POST', url: `${API}/session`, payload: { email, password }, remoteAddress: ip });
        // Per IP: every attempt counts, right or wrong, whatever the address.
        for (let i = 0; i < 4; i++) expect((await attempt(`someone${i}@acme.example`, 'wrong', '198.51.100.1')).statusCode).toBe(401);
        const ipThrottled = await attempt(me.email, me.password, '198.51.100.1');
        expectNativeError(ipThrottled, 429, 'rate_limited', /^Rate limit exceeded\. Try again in \d+ seconds\.$/);
        expect(Number(ipThrottled.headers['retry-after'])).toBeGreaterThan(0);

        // Successes give their reservations back.
        for (let i = 0; i < 5; i++) expect((await attempt(me.email, me.password, `198.51.100.${10 + i}`)).statusCode).toBe(201);
        // Per account and IP: a guesser's failures lock the account out of the guesser's address only.
        for (let i = 0; i < 3; i++) expect((await attempt(me.email, 'wrong', '198.51.100.20')).statusCode).toBe(401);
        const ipAccountThrottled = await attempt(me.email.toUpperCase(), me.password, '198.51.100.20');
        expectNativeError(ipAccountThrottled, 429, 'rate_limited');
        expect(Number(ipAccountThrottled.headers['retry-after'])).toBeGreaterThan(0);
        expect((await attempt(me.email, me.password, '198.51.100.21')).statusCode).toBe(201);
        // Per account, from all IPs together: failures spread over addresses add up.
        for (let i = 0; i < 2; i++) expect((await attempt(me.email, 'wrong', `198.51.100.${22 + i}`)).statusCode).toBe(401);
        const accountThrottled = await attempt(me.email, me.password, '198.51.100.30');
        expectNativeError(accountThrottled, 429, 'rate_limited');
        expect(Number(accountThrottled.headers['retry-after'])).toBeGreaterThan(0);
        // Another account from the same fresh IP is not affected.
        expect((await attempt(a.user.email, a.user.password, '198.51.100.31')).statusCode).toBe(201);
      } finally {
        await limited.close();
      }
    });

    it('a wrong current password on PUT /account/password or POST /account/token spends the account’s budget: a leaked API token or session cannot guess the password', async () => {
      const limited = await buildTestApp(store, clock, { RATE_LIMITS: `${GENEROUS},flowline.signin_account=3/1m` });
      try {
        const me = await person();
        const token = `Token ${(await issueApiToken(store, me.id, clock)).token}`;
        const change = (current: string) =>
          limited.inject({ method: 'PUT', url: `${API}/account/password`, headers: { authorization: token }, payload: { current_password: current, new_password: 'taken-over-password' }, remoteAddress: '198.51.100.40' });
        for (let i = 0; i < 2; i++) expectNativeError(await change(`guess-${i}`), 422, 'unprocessable', /current password/);
        // A session's token request guesses the same budget.
        const session = await signIn(limited, me.email, me.password, {});
        const mint = await limited.inject({ method: 'POST', url: `${API}/account/token`, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf }, payload: { password: 'guess-2' }, remoteAddress: '198.51.100.40' });
        expectNativeError(mint, 422, 'unprocessable', /current password/);
        const throttled = await change(me.password);
        expectNativeError(throttled, 429, 'rate_limited', /^Rate limit exceeded\. Try again in \d+ seconds\.$/);
        expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
        // Nothing changed; the sign-in form from that address shares the spent budget, from another it works.
        const form = (ip: string) => limited.inject({ method: 'POST', url: `${API}/session`, payload: { email: me.email, password: me.password }, remoteAddress: ip });
        expectNativeError(await form('198.51.100.40'), 429, 'rate_limited');
        expect((await form('198.51.100.41')).statusCode).toBe(201);
        // A right current password gives its reservation back.
        const other = await person();
        const otherToken = `Token ${(await issueApiToken(store, other.id, clock)).token}`;
        let password = other.password;
        for (let i = 0; i < 4; i++) {
          const next = `rotated-password-${i}`;
          const res = await limited.inject({ method: 'PUT', url: `${API}/account/password`, headers: { authorization: otherToken }, payload: { current_password: password, new_password: next } });
          expect(res.statusCode, res.body).toBe(204);
          password = next;
        }
      } finally {
        await limited.close();
      }
    });

    it('HTTP Basic with a wrong password spends the account’s budget on every face (429 in each face’s envelope); Basic with the token is unaffected', async () => {
      const limited = await buildTestApp(store, clock, { RATE_LIMITS: `${GENEROUS},flowline.signin_account=3/1m` });
      try {
        const me = await person('admin');
        const token = (await issueApiToken(store, me.id, clock)).token;
        const get = (url: string, secret: string, ip = '198.51.100.50') => limited.inject({ url, headers: { authorization: basic(me.email, secret) }, remoteAddress: ip });
        expect((await get('/api/v1/webhooks/', 'wrong-1')).statusCode).toBe(401);
        expect((await get('/controller/list/', 'wrong-2')).statusCode).toBe(401);
        expect((await get(`${API}/account`, 'wrong-3')).statusCode).toBe(401);
        // Spent: the right password is refused, in each face's own 429.
        const flowcommand = await get('/api/v1/webhooks/', me.password);
        expect(flowcommand.statusCode, flowcommand.body).toBe(429);
        expect(flowcommand.json()).toEqual({ detail: expect.stringMatching(/^Request was throttled\./) });
        expect(Number(flowcommand.headers['retry-after'])).toBeGreaterThan(0);
        const fluent = await get('/controller/list/', me.password);
        expect(fluent.statusCode, fluent.body).toBe(429);
        expect(fluent.json()).toEqual({ error: expect.stringMatching(/^Rate limit exceeded/) });
        expectNativeError(await get(`${API}/account`, me.password), 429, 'rate_limited');
        expectNativeError(await limited.inject({ method: 'POST', url: `${API}/session`, payload: { email: me.email, password: me.password }, remoteAddress: '198.51.100.50' }), 429, 'rate_limited');
        // E-mail and API token checks no password: unaffected.
        for (const url of ['/api/v1/webhooks/', '/controller/list/', `${API}/account`]) expect((await get(url, token)).statusCode, url).toBe(200);
        // Another address is not locked out; a right password there gives its reservation back.
        for (let i = 0; i < 5; i++) expect((await get(`${API}/account`, me.password, '198.51.100.51')).statusCode).toBe(200);
      } finally {
        await limited.close();
      }
    });

    it.skipIf(!TEST_REDIS_URL)('with Redis, two processes share the sign-in budgets', async () => {
      const prefix = `flowline:test:${randomBytes(6).toString('hex')}:`;
      const clients = [new Redis(TEST_REDIS_URL!), new Redis(TEST_REDIS_URL!)];
      const config = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', RATE_LIMITS: 'flowline.signin=100/1m,flowline.signin_account=2/1m' });
      const apps = await Promise.all(clients.map((client) => buildApp({ config, store, clock, rateCounter: redisRateCounter(client, prefix) })));
      try {
        const me = await person();
        const attempt = (instance: FastifyInstance, password: string) => instance.inject({ method: 'POST', url: `${API}/session`, payload: { email: me.email, password } });
        expect((await attempt(apps[0]!, 'wrong')).statusCode).toBe(401);
        expect((await attempt(apps[1]!, 'wrong')).statusCode).toBe(401);
        expectNativeError(await attempt(apps[0]!, me.password), 429, 'rate_limited');
        expectNativeError(await attempt(apps[1]!, me.password), 429, 'rate_limited');
      } finally {
        await Promise.all(apps.map((instance) => instance.close()));
        const keys = await clients[0]!.keys(`${prefix}*`);
        if (keys.length > 0) await clients[0]!.del(...keys);
        await Promise.all(clients.map((client) => client.quit()));
      }
    });
  });
}
