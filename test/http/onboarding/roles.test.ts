import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, issueApiToken } from '../../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import { buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import { expectNativeError, expectUnauthorized, registeredRoutes } from '../support.js';
import { byPassword, byToken, createOperator, linkToken, ok, ONBOARDING_ROUTE_CHECKS, send, type Account, type Method } from './tenant-checks.js';

/**
 * Who may do what on the onboarding and account routes: platform operators manage customers;
 * a customer's admins manage everything of their customer but the customer record; users
 * read, except ingest keys. A refused write leaves its record as it was.
 */

const RATE_LIMITS = { RATE_LIMITS: 'flowline.default=100000/1m,flowline.anonymous=100000/1m,flowline.public=100000/1m' };
type Role = 'operator' | 'admin' | 'user';
const ROLES: Role[] = ['operator', 'admin', 'user'];

interface Row {
  expected: Record<Role, number>;
  /** Makes what one attempt needs (a fresh key, a link), as the operator. */
  prepare?: () => Promise<unknown>;
  attempt: (who: Account, role: Role, prepared: unknown) => Promise<LightMyRequestResponse>;
  /** The record the write would change, read by the operator: a refused write leaves it as it was. */
  read?: (prepared: unknown) => Promise<unknown>;
}

let serial = 0;
const unique = () => `${Date.now().toString(36)}${(serial++).toString(36)}`;

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: onboarding roles`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let app: FastifyInstance;
    let acme: TenantFixture;
    let operator: Account;
    /** A user of Acme whom the table renames, disables and sends links to. */
    let target: Account;
    /** A controller of Acme whose ingest keys the table rotates and revokes. */
    let keyed: { id: number };
    const clock = manualClock(Date.parse('2026-11-24T08:00:00Z'));
    const who: Record<Role, () => Account> = { operator: () => operator, admin: () => acme.admin, user: () => acme.user };

    const call = (method: Method, path: string, u: Account | null, payload?: object) => send(app, method, path, u ? byToken(u) : {}, payload);
    const asOperator = async (path: string) => ok(await call('GET', path, operator));
    const newAccount = async (email: string, role: 'admin' | 'user' = 'user'): Promise<Account> => {
      const password = `${role}-password-${unique()}`;
      const user = await createAccount(store, PLATFORM_SCOPE, { customerId: acme.customer.id, email, name: email, role, password });
      return { ...user, password, token: (await issueApiToken(store, user.id, clock)).token };
    };
    const freshLink = async (userId: number) => linkToken(ok(await call('POST', `/users/${userId}/password-link`, operator), 201).set_password_link.url);
    const freshKey = async () => ok(await call('POST', `/controllers/${keyed.id}/ingest-keys`, operator, { overlap_seconds: 0 }), 201) as { key: string; ingest_key: { id: number } };

    /** Operator, admin and user of the same customer: the statuses each gets, route by route. */
    const TABLE: Record<string, Row> = {
      'GET /api/flowline/v1/customers': { expected: { operator: 200, admin: 200, user: 200 }, attempt: (u) => call('GET', '/customers', u) },
      'POST /api/flowline/v1/customers': {
        expected: { operator: 201, admin: 403, user: 403 },
        attempt: (u, role) => call('POST', '/customers', u, { name: `Made by ${role}` }),
        read: () => asOperator('/customers'),
      },
      'GET /api/flowline/v1/customers/:id': { expected: { operator: 200, admin: 200, user: 200 }, attempt: (u) => call('GET', `/customers/${acme.customer.id}`, u) },
      'PATCH /api/flowline/v1/customers/:id': {
        expected: { operator: 200, admin: 403, user: 403 },
        attempt: (u, role) => call('PATCH', `/customers/${acme.customer.id}`, u, { name: `Acme renamed by ${role}` }),
        read: () => asOperator(`/customers/${acme.customer.id}`),
      },

      'GET /api/flowline/v1/facilities': { expected: { operator: 200, admin: 200, user: 200 }, attempt: (u) => call('GET', '/facilities', u) },
      'POST /api/flowline/v1/facilities': {
        expected: { operator: 201, admin: 201, user: 403 },
        attempt: (u, role) => call('POST', '/facilities', u, { ...(role === 'operator' ? { customer_id: acme.customer.id } : {}), name: `Site of ${role}` }),
        read: () => asOperator('/facilities'),
      },
      'GET /api/flowline/v1/facilities/:id': { expected: { operator: 200, admin: 200, user: 200 }, attempt: (u) => call('GET', `/facilities/${acme.facility.id}`, u) },
      'PATCH /api/flowline/v1/facilities/:id': {
        expected: { operator: 200, admin: 200, user: 403 },
        attempt: (u, role) => call('PATCH', `/facilities/${acme.facility.id}`, u, { address: `Set by ${role}`, latitude: 30 }),
        read: () => asOperator(`/facilities/${acme.facility.id}`),
      },

      'POST /api/flowline/v1/controllers': {
        expected: { operator: 201, admin: 201, user: 403 },
        attempt: (u, role) =>
          call('POST', '/controllers', u, { facility_id: acme.facility.id, serial_number: `R-${unique()}`, model: 'W900', name: `Registered by ${role}`, processes: [{ name: 'Tower' }], channels: [{ number: 'S1', type: 'ph', process: 'Tower' }] }),
        read: () => asOperator('/controllers'),
      },
      'GET /api/flowline/v1/controllers/:id': { expected: { operator: 200, admin: 200, user: 200 }, attempt: (u) => call('GET', `/controllers/${acme.controller.id}`, u) },
      'PATCH /api/flowline/v1/controllers/:id': {
        expected: { operator: 200, admin: 200, user: 403 },
        attempt: (u, role) => call('PATCH', `/controllers/${acme.controller.id}`, u, { tag: `by ${role}`, name: `Renamed by ${role}` }),
        read: () => asOperator(`/controllers/${acme.controller.id}`),
      },
      'POST /api/flowline/v1/controllers/:id/processes': {
        expected: { operator: 201, admin: 201, user: 403 },
        attempt: (u, role) => call('POST', `/controllers/${acme.controller.id}/processes`, u, { name: `Process of ${role}` }),
        read: () => asOperator(`/controllers/${acme.controller.id}`),
      },
      'PATCH /api/flowline/v1/processes/:id': {
        expected: { operator: 200, admin: 200, user: 403 },
        attempt: (u, role) => call('PATCH', `/processes/${acme.process.id}`, u, { name: `Tower of ${role}` }),
        read: () => asOperator(`/controllers/${acme.controller.id}`),
      },
      'POST /api/flowline/v1/controllers/:id/channels': {
        expected: { operator: 201, admin: 201, user: 403 },
        attempt: (u, role) => call('POST', `/controllers/${acme.controller.id}/channels`, u, { number: `X-${role}`, type: 'level', process_id: acme.process.id }),
        read: () => asOperator(`/controllers/${acme.controller.id}`),
      },
      'PATCH /api/flowline/v1/channels/:id': {
        expected: { operator: 200, admin: 200, user: 403 },
        attempt: (u, role) => call('PATCH', `/channels/${acme.channels.unassigned.id}`, u, { name: `Spare of ${role}`, process_id: role === 'user' ? null : acme.process.id }),
        read: () => asOperator(`/controllers/${acme.controller.id}`),
      },

      'GET /api/flowline/v1/controllers/:id/ingest-keys': { expected: { operator: 200, admin: 200, user: 403 }, attempt: (u) => call('GET', `/controllers/${keyed.id}/ingest-keys`, u) },
      'POST /api/flowline/v1/controllers/:id/ingest-keys': {
        expected: { operator: 201, admin: 201, user: 403 },
        attempt: (u) => call('POST', `/controllers/${keyed.id}/ingest-keys`, u, { overlap_seconds: 3600 }),
        read: () => asOperator(`/controllers/${keyed.id}/ingest-keys`),
      },
      'DELETE /api/flowline/v1/controllers/:id/ingest-keys': {
        expected: { operator: 200, admin: 200, user: 403 },
        prepare: freshKey,
        attempt: (u) => call('DELETE', `/controllers/${keyed.id}/ingest-keys`, u),
        read: () => asOperator(`/controllers/${keyed.id}/ingest-keys`),
      },
      'DELETE /api/flowline/v1/controllers/:id/ingest-keys/:keyId': {
        expected: { operator: 200, admin: 200, user: 403 },
        prepare: freshKey,
        attempt: (u, _role, key) => call('DELETE', `/controllers/${keyed.id}/ingest-keys/${(key as { ingest_key: { id: number } }).ingest_key.id}`, u),
        read: () => asOperator(`/controllers/${keyed.id}/ingest-keys`),
      },

      'GET /api/flowline/v1/users': { expected: { operator: 200, admin: 200, user: 200 }, attempt: (u) => call('GET', '/users', u) },
      'POST /api/flowline/v1/users': {
        expected: { operator: 201, admin: 201, user: 403 },
        attempt: (u, role) => call('POST', '/users', u, { email: `invited-by-${role}-${unique()}@acme.example`, ...(role === 'operator' ? { customer_id: acme.customer.id } : {}) }),
        read: () => asOperator('/users'),
      },
      'GET /api/flowline/v1/users/:id': { expected: { operator: 200, admin: 200, user: 200 }, attempt: (u) => call('GET', `/users/${target.id}`, u) },
      'PATCH /api/flowline/v1/users/:id': {
        expected: { operator: 200, admin: 200, user: 403 },
        attempt: (u, role) => call('PATCH', `/users/${target.id}`, u, { name: `Renamed by ${role}`, role: role === 'admin' ? 'user' : 'admin' }),
        read: () => asOperator(`/users/${target.id}`),
      },
      'POST /api/flowline/v1/users/:id/password-link': {
        expected: { operator: 201, admin: 201, user: 403 },
        // A new link replaces the unused one: a refused request must leave the last link working.
        prepare: () => freshLink(target.id),
        attempt: (u) => call('POST', `/users/${target.id}/password-link`, u),
        read: async (token) => {
          const res = await call('POST', '/account/password-link', null, { token: token as string });
          return [res.statusCode, res.json()];
        },
      },

      // Every signed-in user changes their own password; the rest needs no credentials at all.
      'PUT /api/flowline/v1/account/password': {
        expected: { operator: 204, admin: 204, user: 204 },
        attempt: async (u) => {
          const res = await call('PUT', '/account/password', u, { current_password: u.password, new_password: `${u.password}-2` });
          if (res.statusCode === 204) u.password = `${u.password}-2`;
          return res;
        },
      },
      'POST /api/flowline/v1/account/password-reset': { expected: { operator: 202, admin: 202, user: 202 }, attempt: (u) => call('POST', '/account/password-reset', u, { email: u.email }) },
      'POST /api/flowline/v1/account/password-link': {
        expected: { operator: 200, admin: 200, user: 200 },
        prepare: () => freshLink(target.id),
        attempt: (u, _role, token) => call('POST', '/account/password-link', u, { token: token as string }),
      },
      'POST /api/flowline/v1/account/set-password': {
        expected: { operator: 200, admin: 200, user: 200 },
        prepare: () => freshLink(target.id),
        attempt: (u, role, token) => call('POST', '/account/set-password', u, { token: token as string, password: `set-by-${role}-link` }),
      },
    };

    beforeAll(async () => {
      ({ store, drop } = await factory.create());
      app = await buildTestApp(store, clock, RATE_LIMITS);
      acme = await createTenant(store, 'Acme');
      await createTenant(store, 'Bolt');
      operator = await createOperator(store);
      target = await newAccount('target@acme.example');
      const registered = ok(
        await call('POST', '/controllers', acme.admin, { facility_id: acme.facility.id, serial_number: 'KEYED-1', model: 'W900', name: 'Keyed' }),
        201,
      );
      keyed = registered.controller;
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('the table names every onboarding and account route, and they are all registered', () => {
      expect(Object.keys(TABLE).sort()).toEqual(Object.keys(ONBOARDING_ROUTE_CHECKS).sort());
      expect(registeredRoutes(app)).toEqual(expect.arrayContaining(Object.keys(TABLE)));
    });

    for (const [route, row] of Object.entries(TABLE)) {
      it(`${route}: operator ${row.expected.operator}, admin ${row.expected.admin}, user ${row.expected.user}`, async () => {
        for (const role of ROLES) {
          const prepared = await row.prepare?.();
          const before = await row.read?.(prepared);
          const res = await row.attempt(who[role](), role, prepared);
          expect(res.statusCode, `${role}: ${res.body}`).toBe(row.expected[role]);
          if (res.statusCode >= 400) {
            expectNativeError(res, row.expected[role], 'forbidden');
            if (row.read) expect(await row.read(prepared), `${role}'s refused write changed the record`).toEqual(before);
          } else if (row.read && route.split(' ')[0] !== 'GET') {
            expect(await row.read(prepared), `${role}'s write changed nothing`).not.toEqual(before);
          }
        }
      });
    }

    it('a password works like an API token, for what the role allows and no more', async () => {
      for (const how of [byToken, byPassword]) {
        expect(ok(await send(app, 'GET', `/controllers/${keyed.id}/ingest-keys`, how(acme.admin))).ingest_keys.length).toBeGreaterThan(0);
        expectNativeError(await send(app, 'GET', `/controllers/${keyed.id}/ingest-keys`, how(acme.user)), 403, 'forbidden');
        expect(ok(await send(app, 'PATCH', `/facilities/${acme.facility.id}`, how(acme.admin), { address: `by ${how.name}` }))).toMatchObject({ address: `by ${how.name}` });
        expectNativeError(await send(app, 'PATCH', `/facilities/${acme.facility.id}`, how(acme.user), { address: 'by the user' }), 403, 'forbidden');
        expect(ok(await send(app, 'POST', '/customers', how(operator), { name: `Made with ${how.name}` }), 201)).toMatchObject({ name: `Made with ${how.name}` });
        expectNativeError(await send(app, 'POST', '/customers', how(acme.admin), { name: 'Not allowed' }), 403, 'forbidden', 'Only platform operators manage customers.');
      }
      expect(ok(await send(app, 'GET', `/facilities/${acme.facility.id}`, byToken(acme.user))).address).toBe('by byPassword');
    });

    it('a disabled user is refused with token and password, and works again when enabled', async () => {
      const dana = await newAccount(`dana-${unique()}@acme.example`);
      for (const how of [byToken, byPassword]) expect(ok(await send(app, 'GET', '/account', how(dana))).id).toBe(dana.id);
      expect(ok(await call('PATCH', `/users/${dana.id}`, acme.admin, { disabled: true }))).toMatchObject({ id: dana.id, disabled: true, disabled_at: '2026-11-24T08:00:00.000Z' });
      for (const how of [byToken, byPassword]) {
        expectUnauthorized(await send(app, 'GET', '/account', how(dana)), 'invalid_credentials', 'User inactive or deleted.');
        expectUnauthorized(await send(app, 'GET', `/controllers/${acme.controller.id}`, how(dana)), 'invalid_credentials', 'User inactive or deleted.');
      }
      // Nor can a set-password link bring them back in.
      expectNativeError(await call('POST', `/users/${dana.id}/password-link`, acme.admin), 422, 'unprocessable', 'The user is disabled: enable them first.');
      expect(ok(await call('PATCH', `/users/${dana.id}`, acme.admin, { disabled: false }))).toMatchObject({ disabled: false, disabled_at: null });
      for (const how of [byToken, byPassword]) expect(ok(await send(app, 'GET', '/account', how(dana))).id).toBe(dana.id);
    });

    it('an admin cannot disable themself or change their own role, but may rename themself and change others', async () => {
      const admin = await newAccount(`admin-${unique()}@acme.example`, 'admin');
      const other = await newAccount(`other-${unique()}@acme.example`);
      for (const payload of [{ disabled: true }, { role: 'user' }, { role: 'user', name: 'Demoted' }]) {
        expectNativeError(await call('PATCH', `/users/${admin.id}`, admin, payload), 422, 'unprocessable', 'You cannot disable yourself or change your own role; ask another admin.');
      }
      expect(ok(await call('GET', `/users/${admin.id}`, operator))).toMatchObject({ role: 'admin', disabled: false, name: admin.name });
      expect(ok(await call('GET', '/account', admin)).role).toBe('admin');
      expect(ok(await call('PATCH', `/users/${admin.id}`, admin, { name: 'Still Admin', role: 'admin', disabled: false }))).toMatchObject({ name: 'Still Admin', role: 'admin', disabled: false });
      expect(ok(await call('PATCH', `/users/${other.id}`, admin, { role: 'admin' }))).toMatchObject({ role: 'admin' });
      expect(ok(await call('PATCH', `/users/${other.id}`, admin, { disabled: true }))).toMatchObject({ disabled: true });
      // Another admin may change the first one.
      expect(ok(await call('PATCH', `/users/${admin.id}`, acme.admin, { role: 'user' }))).toMatchObject({ role: 'user' });
    });

    it('operators invite operators; admins cannot, and never see operators', async () => {
      const email = `ops-${unique()}@flowline.test`;
      expectNativeError(await call('POST', '/users', acme.admin, { email, operator: true }), 403, 'forbidden', 'Only platform operators make operators.');
      expectNativeError(await call('POST', '/users', acme.admin, { email, operator: true, role: 'admin' }), 403, 'forbidden', 'Only platform operators make operators.');
      expect(JSON.stringify(await asOperator('/users'))).not.toContain(email);

      const invited = ok(await call('POST', '/users', operator, { email, operator: true, role: 'admin' }), 201);
      expect(invited.user).toMatchObject({ email, operator: true, customer_id: null, has_password: false });
      // The new operator sets a password and sees every customer.
      ok(await call('POST', '/account/set-password', null, { token: linkToken(invited.set_password_link.url), password: 'new-operator-password' }));
      const customers = ok(await send(app, 'GET', '/customers', byPassword({ ...operator, email, password: 'new-operator-password' }))).customers;
      expect(customers.length).toBeGreaterThanOrEqual(2);

      // Operators show to operators, never to a customer's admin or user.
      expect((await asOperator('/users')).users.map((u: { id: number }) => u.id)).toEqual(expect.arrayContaining([operator.id, invited.user.id]));
      for (const u of [acme.admin, acme.user]) {
        const list = await call('GET', '/users', u);
        expect(ok(list).users.every((x: { operator: boolean; customer_id: number }) => !x.operator && x.customer_id === acme.customer.id)).toBe(true);
        expect(list.body).not.toContain(email);
        expect(list.body).not.toContain(operator.email);
        for (const id of [operator.id, invited.user.id]) expectNativeError(await call('GET', `/users/${id}`, u), 404, 'not_found', 'User not found.');
      }
    });

    it('an operator names the customer of a customer user, and no customer for an operator', async () => {
      expectNativeError(await call('POST', '/users', operator, { email: `nobody-${unique()}@acme.example` }), 400, 'invalid_request', 'customer_id is required: platform operators name the customer.');
      expectNativeError(await call('POST', '/users', operator, { email: `nobody-${unique()}@acme.example`, operator: false }), 400, 'invalid_request', 'customer_id is required: platform operators name the customer.');
      expectNativeError(
        await call('POST', '/users', operator, { email: `both-${unique()}@acme.example`, operator: true, customer_id: acme.customer.id }),
        400,
        'invalid_request',
        'A platform operator belongs to no customer: leave customer_id out.',
      );
      expect(JSON.stringify(await asOperator('/users'))).not.toMatch(/nobody-|both-/);
      const made = ok(await call('POST', '/users', operator, { email: `named-${unique()}@acme.example`, customer_id: acme.customer.id, role: 'admin' }), 201);
      expect(made.user).toMatchObject({ customer_id: acme.customer.id, operator: false, role: 'admin' });
      // An admin may leave it out (their own customer) or name their own.
      expect(ok(await call('POST', '/users', acme.admin, { email: `own-${unique()}@acme.example`, customer_id: acme.customer.id }), 201).user.customer_id).toBe(acme.customer.id);
    });
  });
}
