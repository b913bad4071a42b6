import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../src/config.js';
import { createAccount } from '../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { digestSecret } from '../../src/domain/secrets.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { basic, buildTestApp, manualClock } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { API, expectNativeError, expectUnauthorized, ingest } from './support.js';

const START = Date.parse('2026-11-24T08:00:00Z');

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: authentication`, () => {
    let app: FastifyInstance;
    let store: TestStore;
    let drop: () => Promise<void>;
    let acme: TenantFixture;
    let bolt: TenantFixture;
    const clock = manualClock(START);
    /** Every response body seen by this suite, checked at the end for leaked hashes. */
    const bodies: string[] = [];

    const get = async (url: string, authorization?: string): Promise<LightMyRequestResponse> => {
      const res = await app.inject({ url, headers: authorization === undefined ? {} : { authorization } });
      bodies.push(res.body);
      return res;
    };
    const account = (authorization?: string) => get(`${API}/account`, authorization);
    const regenerate = async (authorization: string, payload: unknown = { accept_terms: true }) => {
      const res = await app.inject({ method: 'POST', url: `${API}/account/token`, headers: { authorization }, payload: payload as object });
      bodies.push(res.body);
      return res;
    };

    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
      acme = await createTenant(store, 'Acme');
      bolt = await createTenant(store, 'Bolt');
      app = await buildTestApp(store, clock);
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    describe('schemes that work', () => {
      it('accepts Authorization: Token <token>', async () => {
        const res = await account(`Token ${acme.user.token}`);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ id: acme.user.id, email: 'user@acme.example', role: 'user', customer_id: acme.customer.id, has_api_token: true });
      });

      it('accepts Authorization: Bearer <token>', async () => {
        const res = await account(`Bearer ${acme.admin.token}`);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ id: acme.admin.id, email: 'admin@acme.example', role: 'admin' });
      });

      it('treats the scheme name case-insensitively, like DRF', async () => {
        expect((await account(`token ${acme.user.token}`)).statusCode).toBe(200);
        expect((await account(`BEARER ${acme.user.token}`)).statusCode).toBe(200);
        expect((await account(`basic ${Buffer.from(`${acme.user.email}:${acme.user.password}`).toString('base64')}`)).statusCode).toBe(200);
      });

      it('accepts HTTP Basic with e-mail and API token (the Fluent way)', async () => {
        const res = await account(basic(acme.user.email, acme.user.token));
        expect(res.statusCode).toBe(200);
        expect(res.json().id).toBe(acme.user.id);
      });

      it('accepts HTTP Basic with e-mail and password', async () => {
        const res = await account(basic(acme.user.email, acme.user.password));
        expect(res.statusCode).toBe(200);
        expect(res.json().id).toBe(acme.user.id);
      });

      it('compares the e-mail address case-insensitively', async () => {
        const upper = await account(basic('USER@ACME.EXAMPLE', acme.user.password));
        expect(upper.statusCode).toBe(200);
        expect(upper.json()).toMatchObject({ id: acme.user.id, email: 'user@acme.example' });
        const mixed = await account(basic('User@Acme.Example', acme.user.token));
        expect(mixed.statusCode).toBe(200);
        expect(mixed.json().id).toBe(acme.user.id);
      });

      it('accepts a password that itself contains colons', async () => {
        const password = 'pass:with:colons';
        await createAccount(store, PLATFORM_SCOPE, { customerId: acme.customer.id, email: 'colon@acme.example', name: 'Colon', role: 'user', password });
        const res = await account(basic('colon@acme.example', password));
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ email: 'colon@acme.example', has_api_token: false, api_token_created_at: null, api_terms_accepted_at: null });
      });
    });

    describe('missing or wrong credentials: 401 with a clear message and WWW-Authenticate', () => {
      it('no Authorization header', async () => {
        expectUnauthorized(await account(), 'not_authenticated', 'Authentication credentials were not provided.');
      });

      it('an empty Authorization header', async () => {
        expectUnauthorized(await account(''), 'not_authenticated', 'Authentication credentials were not provided.');
      });

      it('an unknown scheme is the same as no credentials', async () => {
        expectUnauthorized(await account(`Digest ${acme.user.token}`), 'not_authenticated', 'Authentication credentials were not provided.');
        expectUnauthorized(await account(acme.user.token), 'not_authenticated', 'Authentication credentials were not provided.');
      });

      it('an unknown token', async () => {
        expectUnauthorized(await account('Token 00000000-0000-4000-8000-000000000000'), 'invalid_token', 'Invalid token.');
        expectUnauthorized(await account('Bearer not-a-token'), 'invalid_token', 'Invalid token.');
      });

      it('a controller ingest key is not a user token', async () => {
        expectUnauthorized(await account(`Token ${acme.ingestKey}`), 'invalid_token', 'Invalid token.');
        expectUnauthorized(await account(basic(acme.user.email, acme.ingestKey)), 'invalid_credentials', 'Invalid username/password.');
      });

      it('a wrong password', async () => {
        expectUnauthorized(await account(basic(acme.user.email, 'wrong-password')), 'invalid_credentials', 'Invalid username/password.');
      });

      it('an unknown e-mail address answers exactly like a wrong password', async () => {
        expectUnauthorized(await account(basic('nobody@acme.example', acme.user.password)), 'invalid_credentials', 'Invalid username/password.');
        expectUnauthorized(await account(basic('', '')), 'invalid_credentials', 'Invalid username/password.');
      });

      it('the token of user X with the Basic user name of user Y fails', async () => {
        expectUnauthorized(await account(basic(acme.admin.email, acme.user.token)), 'invalid_credentials', 'Invalid username/password.');
        expectUnauthorized(await account(basic(bolt.user.email, acme.user.token)), 'invalid_credentials', 'Invalid username/password.');
        expectUnauthorized(await account(basic(acme.user.email, bolt.user.password)), 'invalid_credentials', 'Invalid username/password.');
      });

      it('malformed token headers get the DRF messages', async () => {
        expectUnauthorized(await account('Token'), 'malformed_authorization', 'Invalid token header. No credentials provided.');
        expectUnauthorized(await account('Bearer'), 'malformed_authorization', 'Invalid token header. No credentials provided.');
        expectUnauthorized(await account(`Token ${acme.user.token} extra`), 'malformed_authorization', 'Invalid token header. Token string should not contain spaces.');
        expectUnauthorized(await account('Bearer a b c'), 'malformed_authorization', 'Invalid token header. Token string should not contain spaces.');
      });

      it('malformed basic headers get the DRF messages', async () => {
        expectUnauthorized(await account('Basic'), 'malformed_authorization', 'Invalid basic header. No credentials provided.');
        expectUnauthorized(await account('Basic abc def'), 'malformed_authorization', 'Invalid basic header. Credentials string should not contain spaces.');
      });

      it('bad base64, or base64 without a colon, in a Basic header', async () => {
        const message = 'Invalid basic header. Credentials not correctly base64 encoded.';
        expectUnauthorized(await account('Basic !!!not-base64!!!'), 'malformed_authorization', message);
        expectUnauthorized(await account('Basic ===='), 'malformed_authorization', message);
        expectUnauthorized(await account(`Basic ${Buffer.from('no-colon-here').toString('base64')}`), 'malformed_authorization', message);
      });

      it('odd bytes in Basic credentials are a 401, never a 500', async () => {
        // A NUL inside the user name reaches the store's e-mail lookup (PostgreSQL refuses NUL in text).
        expectUnauthorized(await account(basic('a\u0000b@acme.example', 'whatever')), 'invalid_credentials', 'Invalid username/password.');
        expectUnauthorized(await account(basic(acme.user.email, 'pass\u0000word')), 'invalid_credentials', 'Invalid username/password.');
        const latin1 = Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64');
        expectUnauthorized(await account(`Basic ${latin1}`), 'invalid_credentials', 'Invalid username/password.');
        expectUnauthorized(await account(basic('x'.repeat(5000), 'y'.repeat(5000))), 'invalid_credentials', 'Invalid username/password.');
      });

      it('every route under the API prefix refuses a request without credentials', async () => {
        for (const url of [`${API}/account`, `${API}/controllers`, `${API}/alarms`, `${API}/channels/${acme.channels.s11.id}/readings`]) {
          expectUnauthorized(await get(url), 'not_authenticated', 'Authentication credentials were not provided.');
        }
        const post = await app.inject({ method: 'POST', url: `${API}/account/token`, payload: { accept_terms: true } });
        expectUnauthorized(post, 'not_authenticated', 'Authentication credentials were not provided.');
      });
    });

    describe('token regeneration', () => {
      it('returns a new token once, revokes the old one, and the new one works with every scheme', async () => {
        const old = acme.admin.token;
        const acceptedBefore = (await account(`Token ${old}`)).json().api_terms_accepted_at;
        expect(acceptedBefore).toMatch(/Z$/);
        clock.set(Date.parse('2026-11-24T09:15:30.250Z'));
        const res = await regenerate(basic(acme.admin.email, acme.admin.password));
        expect(res.statusCode).toBe(201);
        expect(res.headers['cache-control']).toBe('no-store');
        const body = res.json();
        expect(Object.keys(body).sort()).toEqual(['created_at', 'terms_accepted_at', 'token']);
        expect(body.token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(body.token).not.toBe(old);
        expect(body.created_at).toBe('2026-11-24T09:15:30.250Z');
        // Accepted once, with the fixture's first token: that time stays.
        expect(body.terms_accepted_at).toBe(acceptedBefore);

        expectUnauthorized(await account(`Token ${old}`), 'invalid_token', 'Invalid token.');
        expectUnauthorized(await account(`Bearer ${old}`), 'invalid_token', 'Invalid token.');
        expectUnauthorized(await account(basic(acme.admin.email, old)), 'invalid_credentials', 'Invalid username/password.');

        for (const auth of [`Token ${body.token}`, `Bearer ${body.token}`, basic(acme.admin.email, body.token)]) {
          const me = await account(auth);
          expect(me.statusCode).toBe(200);
          expect(me.json().id).toBe(acme.admin.id);
        }
        // The token is shown once: the account page only says that there is one.
        const me = await account(`Token ${body.token}`);
        expect(me.body).not.toContain(body.token);
        acme.admin.token = body.token;
      });

      it('records the terms acceptance with the exact time (GET /account)', async () => {
        const fresh = await createAccount(store, PLATFORM_SCOPE, { customerId: acme.customer.id, email: 'terms@acme.example', name: 'Terms', role: 'user', password: 'terms-password' });
        const before = await account(basic('terms@acme.example', 'terms-password'));
        expect(before.json()).toEqual({
          id: fresh.id,
          email: 'terms@acme.example',
          name: 'Terms',
          role: 'user',
          customer_id: acme.customer.id,
          operator: false,
          has_api_token: false,
          api_token_created_at: null,
          api_terms_accepted_at: null,
        });

        clock.set(Date.parse('2026-11-24T10:00:00Z'));
        const res = await regenerate(basic('terms@acme.example', 'terms-password'));
        expect(res.statusCode).toBe(201);
        expect(res.json().terms_accepted_at).toBe('2026-11-24T10:00:00.000Z');

        clock.advance(60_000);
        const after = await account(`Token ${res.json().token}`);
        expect(after.statusCode).toBe(200);
        expect(after.json()).toEqual({
          ...before.json(),
          has_api_token: true,
          api_token_created_at: '2026-11-24T10:00:00.000Z',
          api_terms_accepted_at: '2026-11-24T10:00:00.000Z',
        });

        // Regenerating later moves the token's time; the terms were accepted once, and that time stays.
        const again = await regenerate(basic('terms@acme.example', 'terms-password'), {});
        expect(again.statusCode).toBe(201);
        expect(again.json().terms_accepted_at).toBe('2026-11-24T10:00:00.000Z');
        const later = await account(`Token ${again.json().token}`);
        expect(later.json()).toMatchObject({ api_token_created_at: '2026-11-24T10:01:00.000Z', api_terms_accepted_at: '2026-11-24T10:00:00.000Z' });
        expectUnauthorized(await account(`Token ${res.json().token}`), 'invalid_token', 'Invalid token.');
      });

      it('a token login may not regenerate the token: 403, and the token keeps working', async () => {
        const message = 'This action needs your password (HTTP Basic with e-mail and password), not an API token.';
        for (const auth of [`Token ${acme.user.token}`, `Bearer ${acme.user.token}`, basic(acme.user.email, acme.user.token)]) {
          expectNativeError(await regenerate(auth), 403, 'password_required', message);
        }
        expect((await account(`Token ${acme.user.token}`)).statusCode).toBe(200);
      });

      it('the first token needs accept_terms true: false or missing is 422 and changes nothing', async () => {
        await createAccount(store, PLATFORM_SCOPE, { customerId: acme.customer.id, email: 'undecided@acme.example', name: 'Undecided', role: 'user', password: 'undecided-password' });
        const auth = basic('undecided@acme.example', 'undecided-password');
        const before = (await account(auth)).json();
        const message = 'Generating your first API token means accepting the API terms: send "accept_terms": true.';
        expectNativeError(await regenerate(auth, { accept_terms: false }), 422, 'unprocessable', message);
        expectNativeError(await regenerate(auth, {}), 422, 'unprocessable', message);
        expect((await account(auth)).json()).toEqual(before);
      });

      it('a mistyped accept_terms is 400 and changes nothing', async () => {
        const auth = basic(acme.user.email, acme.user.password);
        expectNativeError(await regenerate(auth, { accept_terms: 'true' }), 400, 'invalid_request');
        expectNativeError(await regenerate(auth, { accept_terms: 1 }), 400, 'invalid_request');
        expect((await account(`Token ${acme.user.token}`)).statusCode).toBe(200);
      });

      it('a wrong password cannot regenerate', async () => {
        expectUnauthorized(await regenerate(basic(acme.user.email, 'nope-nope-nope')), 'invalid_credentials', 'Invalid username/password.');
        expect((await account(`Token ${acme.user.token}`)).statusCode).toBe(200);
      });

      it('regeneration only affects the caller', async () => {
        const res = await regenerate(basic(bolt.admin.email, bolt.admin.password));
        expect(res.statusCode).toBe(201);
        bolt.admin.token = res.json().token;
        for (const u of [acme.admin, acme.user, bolt.user]) {
          const me = await account(`Token ${u.token}`);
          expect(me.statusCode).toBe(200);
          expect(me.json().id).toBe(u.id);
        }
      });
    });

    it('no response ever carries a password hash or a token hash', async () => {
      for (const u of [acme.admin, acme.user, bolt.admin, bolt.user]) {
        bodies.push((await account(basic(u.email, u.password))).body);
        const creds = await store.findUserCredentialsByEmail(u.email);
        expect(creds?.apiTokenHash).toBe(digestSecret(u.token));
        const secrets = [creds!.passwordHash, creds!.apiTokenHash!, creds!.passwordHash.split('$').at(-1)!, u.password];
        for (const body of bodies) for (const secret of secrets) expect(body).not.toContain(secret);
      }
      expect(bodies.join('\n')).not.toMatch(/scrypt\$|password_hash|api_token_hash|passwordHash|apiTokenHash/);
      expect(bodies.length).toBeGreaterThan(50);
    });
  });

  describe.skipIf(factory.skipReason !== null)(`${factory.name}: nothing secret in the logs`, () => {
    it('logs requests at trace level without passwords, tokens, Basic credentials or ingest keys', async () => {
      const { store, drop } = await factory.create();
      const lines: string[] = [];
      const stream: DestinationStream = { write: (line: string) => void lines.push(line) };
      const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'trace' }), store, clock: manualClock(START), logger: createLogger('trace', stream) });
      try {
        await app.ready();
        const acme = await createTenant(store, 'Logged');
        const u = acme.user;
        const wrongPassword = 'wrong-password-that-is-secret';
        const requests: { authorization?: string; status: number }[] = [
          { authorization: `Token ${u.token}`, status: 200 },
          { authorization: `Bearer ${u.token}`, status: 200 },
          { authorization: basic(u.email, u.token), status: 200 },
          { authorization: basic(u.email, u.password), status: 200 },
          { authorization: basic(u.email, wrongPassword), status: 401 },
          { authorization: `Token ${u.token}x`, status: 401 },
          { authorization: `Token ${u.token} ${u.password}`, status: 401 },
          { authorization: `Basic ${Buffer.from(u.password).toString('base64')}`, status: 401 },
          { authorization: `Digest ${u.token}`, status: 401 },
        ];
        for (const r of requests) {
          const res = await app.inject({ url: `${API}/account`, headers: r.authorization === undefined ? {} : { authorization: r.authorization } });
          expect(res.statusCode).toBe(r.status);
        }
        const regenerated = await app.inject({ method: 'POST', url: `${API}/account/token`, headers: { authorization: basic(u.email, u.password) }, payload: { accept_terms: true } });
        expect(regenerated.statusCode).toBe(201);
        const newToken = regenerated.json().token as string;
        expect((await app.inject({ url: `${API}/account`, headers: { authorization: `Token ${u.token}` } })).statusCode).toBe(401);
        expect((await app.inject({ url: `${API}/account`, headers: { authorization: `Bearer ${newToken}` } })).statusCode).toBe(200);
        const ok = await ingest(app, acme.ingestKey, { readings: [{ channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1 }] });
        expect(ok.statusCode).toBe(200);
        expect((await ingest(app, `${acme.ingestKey}x`, { readings: [] })).statusCode).toBe(401);
        expect((await ingest(app, acme.ingestKey, { readings: [{ channel: 'S404', time: '2026-11-24T07:00:00Z', value: 1 }] })).statusCode).toBe(422);
        expect((await ingest(app, acme.ingestKey, { readings: [{ channel: 'S11', time: 'garbage', value: 1 }] })).statusCode).toBe(400);
        // OAuth takes the client secret in the query too; a set-password link's token in a body.
        const clientSecret = 'oauth-client-secret-in-the-query';
        const oauth = await app.inject({ method: 'POST', url: `/oauth/token?grant_type=client_credentials&client_id=abc&client_secret=${clientSecret}` });
        expect(oauth.statusCode).toBe(401);
        const linkToken = 'flpw_a-link-token-that-is-secret';
        expect((await app.inject({ method: 'POST', url: `${API}/account/set-password`, payload: { token: linkToken, password: wrongPassword } })).statusCode).toBe(404);

        const text = lines.join('');
        expect(text).toContain('client_secret=[redacted]');
        // The capture works: requests, responses and error messages are all there.
        expect(text).toContain('incoming request');
        expect(text).toContain('request completed');
        expect(text).toContain('/api/flowline/v1/account');
        expect(text).toContain('Invalid username/password.');
        const creds = await store.findUserCredentialsByEmail(u.email);
        const secrets = {
          password: u.password,
          wrongPassword,
          oldToken: u.token,
          newToken,
          ingestKey: acme.ingestKey,
          clientSecret,
          linkToken,
          basicPassword: Buffer.from(`${u.email}:${u.password}`).toString('base64'),
          basicToken: Buffer.from(`${u.email}:${u.token}`).toString('base64'),
          passwordHash: creds!.passwordHash,
          tokenHash: creds!.apiTokenHash!,
        };
        for (const [name, secret] of Object.entries(secrets)) expect(text.includes(secret), `${name} leaked into the log`).toBe(false);
      } finally {
        await app.close();
        await drop();
      }
    });
  });
}
