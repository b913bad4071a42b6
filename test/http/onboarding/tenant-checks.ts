import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createAccount, issueApiToken, PASSWORD_LINK_PREFIX } from '../../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import { digestSecret } from '../../../src/domain/secrets.js';
import { systemClock } from '../../../src/domain/time.js';
import type { Store } from '../../../src/store/store.js';
import { basic } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { API, expectNativeError, ingest } from '../support.js';

/**
 * Tenant-isolation checks of the onboarding and account routes, spread into ROUTE_CHECKS of
 * test/http/tenant-isolation.test.ts, plus the helpers the other onboarding suites share.
 * Each check has A's admin and user act on B's ids (in the path or the body) and expects
 * exactly the answer to an id that does not exist; B, read by an operator, stays as it was.
 * What a check changes happens to a third customer (C), so that A's fixture, which the other
 * checks rely on, stays as it is.
 */

export type Account = TenantFixture['user'];
export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Res = LightMyRequestResponse;

/** The shape of tenant-isolation.test.ts's context. */
export interface TenantCtx {
  app: FastifyInstance;
  store: Store;
  a: TenantFixture;
  b: TenantFixture;
}

/** An id no record has: another customer's id must answer exactly like it. */
export const NO_SUCH_ID = 987_654_321;

export const byToken = (u: Account) => ({ authorization: `Token ${u.token}` });
export const byPassword = (u: Account) => ({ authorization: basic(u.email, u.password) });

/** A request to a route under API; a string payload is sent as it is, as JSON. */
export function send(app: FastifyInstance, method: Method, path: string, headers: Record<string, string> = {}, payload?: object | string): Promise<Res> {
  if (payload === undefined) return app.inject({ method, url: `${API}${path}`, headers });
  if (typeof payload === 'string') return app.inject({ method, url: `${API}${path}`, headers: { 'content-type': 'application/json', ...headers }, payload });
  return app.inject({ method, url: `${API}${path}`, headers, payload });
}

/** The JSON of a response that must have the given status. */
export function ok(res: Res, status = 200) {
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
}

/** A platform operator (no customer) with a password and an API token. */
export async function createOperator(store: Store, email = 'ops@flowline.test'): Promise<Account> {
  const password = 'operator-password';
  const user = await createAccount(store, PLATFORM_SCOPE, { customerId: null, operator: true, email, name: 'Platform Ops', role: 'admin', password });
  const { token } = await issueApiToken(store, user.id, systemClock);
  return { ...user, password, token };
}

/** The one-time token of a set-password link (the `#token=` part). */
export function linkToken(url: string): string {
  const m = /#token=(flpw_[A-Za-z0-9_-]+)$/.exec(url);
  expect(m, url).not.toBeNull();
  return m![1]!;
}

/** A link of `userId` that expired long ago (written through the store: the clock of the app is not ours to move). */
export async function expiredLink(store: Store, userId: number): Promise<string> {
  const token = PASSWORD_LINK_PREFIX + randomBytes(32).toString('base64url');
  await store.createPasswordLink({ userId, purpose: 'reset', tokenHash: digestSecret(token), at: 0, expiresAt: 1 });
  return token;
}

/**
 * Everything of the platform (or of one customer) as an operator reads it through the API:
 * customers, facilities, users, and each controller with its processes, channels and ingest keys.
 */
export async function snapshotOf(app: FastifyInstance, operator: Account, customerId?: number) {
  const get = async (path: string) => ok(await send(app, 'GET', path, byToken(operator)));
  const filter = customerId === undefined ? '' : `?customer_id=${customerId}`;
  const customers = ((await get('/customers')).customers as { id: number }[]).filter((c) => customerId === undefined || c.id === customerId);
  const facilities = (await get(`/facilities${filter}`)).facilities as { id: number }[];
  const users = (await get(`/users${filter}`)).users as { id: number; email: string }[];
  const facilityIds = new Set(facilities.map((f) => f.id));
  const controllers = [];
  for (const { id } of ((await get('/controllers')).controllers as { id: number; facility_id: number }[]).filter((c) => facilityIds.has(c.facility_id))) {
    controllers.push({ ...(await get(`/controllers/${id}`)), ingest_keys: (await get(`/controllers/${id}/ingest-keys`)).ingest_keys });
  }
  return { customers, facilities, users, controllers };
}

/** The operator and the third customer of one tenant-isolation store, made once. */
const extrasByStore = new WeakMap<Store, Promise<{ operator: Account; c: TenantFixture }>>();
function extras(ctx: TenantCtx) {
  let made = extrasByStore.get(ctx.store);
  if (!made) {
    made = (async () => ({ operator: await createOperator(ctx.store, 'ops@tenant-checks.example'), c: await createTenant(ctx.store, 'Epsilon') }))();
    extrasByStore.set(ctx.store, made);
  }
  return made;
}

/** Runs `body` and checks that B, as an operator reads it, did not change. */
async function keepingB(ctx: TenantCtx, body: (x: { operator: Account; c: TenantFixture }) => Promise<void>): Promise<void> {
  const x = await extras(ctx);
  const before = await snapshotOf(ctx.app, x.operator, ctx.b.customer.id);
  expect(before.controllers.map((c) => c.controller.id)).toEqual([ctx.b.controller.id]);
  await body(x);
  expect(await snapshotOf(ctx.app, x.operator, ctx.b.customer.id)).toEqual(before);
}

/**
 * For each of another customer's ids, `attempt` answers exactly (status and body) what it
 * answers for an id that does not exist, which is `status`/`code`/`message`.
 */
async function likeMissing(attempt: (id: number) => Promise<Res>, foreignIds: number[], status: number, code: string, message?: string): Promise<void> {
  const missing = await attempt(NO_SUCH_ID);
  expectNativeError(missing, status, code, message);
  for (const id of foreignIds) {
    const res = await attempt(id);
    expect(res.statusCode, res.body).toBe(missing.statusCode);
    expect(res.body).toBe(missing.body);
  }
}

const notFound = (what: string) => [404, 'not_found', `${what} not found.`] as const;
const ADMINS_ONLY = [403, 'forbidden', 'Only admins make this change; users can read.'] as const;
const OPERATORS_ONLY = [403, 'forbidden', 'Only platform operators manage customers.'] as const;

/** A's admin and user on B's record `ids` at `path(id)`: each gets the answer to an id that does not exist. */
async function aLikeMissing(
  ctx: TenantCtx,
  method: Method,
  path: (id: number) => string,
  ids: number[],
  expected: { admin: readonly [number, string, string?]; user: readonly [number, string, string?] },
  payload?: object,
): Promise<void> {
  await likeMissing((id) => send(ctx.app, method, path(id), byToken(ctx.a.admin), payload), ids, ...expected.admin);
  await likeMissing((id) => send(ctx.app, method, path(id), byToken(ctx.a.user), payload), ids, ...expected.user);
}

const bothNotFound = (what: string) => ({ admin: notFound(what), user: notFound(what) });

/** Whether a device with this ingest key is let in. */
async function ingestStatus(app: FastifyInstance, key: string): Promise<number> {
  return (await ingest(app, key, { readings: [] })).statusCode;
}

export const ONBOARDING_ROUTE_CHECKS: Record<string, (ctx: TenantCtx) => Promise<void>> = {
  // --- customers -------------------------------------------------------------------------

  async 'GET /api/flowline/v1/customers'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ operator }) => {
      for (const u of [a.admin, a.user]) {
        const res = await send(app, 'GET', '/customers', byToken(u));
        expect(ok(res).customers.map((c: { id: number }) => c.id)).toEqual([a.customer.id]);
        expect(res.body).not.toContain(b.customer.name);
      }
      // An operator sees both: the list is filtered by customer, not empty by accident.
      const all = ok(await send(app, 'GET', '/customers', byToken(operator))).customers.map((c: { id: number }) => c.id);
      expect(all).toEqual(expect.arrayContaining([a.customer.id, b.customer.id]));
    });
  },

  async 'POST /api/flowline/v1/customers'(ctx) {
    const { app, a } = ctx;
    await keepingB(ctx, async ({ operator }) => {
      const before = ok(await send(app, 'GET', '/customers', byToken(operator))).customers;
      for (const u of [a.admin, a.user]) {
        expectNativeError(await send(app, 'POST', '/customers', byToken(u), { name: 'Sneaky Co' }), ...OPERATORS_ONLY);
      }
      expect(ok(await send(app, 'GET', '/customers', byToken(operator))).customers).toEqual(before);
      // The operator creates one; A does not see it.
      const created = ok(await send(app, 'POST', '/customers', byToken(operator), { name: 'Delta Water' }), 201);
      expect(ok(await send(app, 'GET', '/customers', byToken(a.admin))).customers.map((c: { id: number }) => c.id)).toEqual([a.customer.id]);
      await likeMissing((id) => send(app, 'GET', `/customers/${id}`, byToken(a.admin)), [created.id], ...notFound('Customer'));
    });
  },

  async 'GET /api/flowline/v1/customers/:id'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async () => {
      await aLikeMissing(ctx, 'GET', (id) => `/customers/${id}`, [b.customer.id], bothNotFound('Customer'));
      for (const u of [a.admin, a.user]) expect(ok(await send(app, 'GET', `/customers/${a.customer.id}`, byToken(u)))).toMatchObject({ id: a.customer.id, name: a.customer.name });
    });
  },

  async 'PATCH /api/flowline/v1/customers/:id'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ operator, c }) => {
      for (const payload of [{ name: 'Hijacked' }, { disabled: true }]) {
        await aLikeMissing(ctx, 'PATCH', (id) => `/customers/${id}`, [b.customer.id], bothNotFound('Customer'), payload);
      }
      // B's credentials still work (a disabled customer's would not).
      expect((await send(app, 'GET', '/account', byToken(b.admin))).statusCode).toBe(200);
      expect(await ingestStatus(app, b.ingestKey)).toBe(200);
      // A's own customer is found, and refused: only operators change customers.
      expectNativeError(await send(app, 'PATCH', `/customers/${a.customer.id}`, byToken(a.admin), { name: 'Hijacked' }), ...OPERATORS_ONLY);
      expect(ok(await send(app, 'PATCH', `/customers/${c.customer.id}`, byToken(operator), { name: 'Gamma Water' }))).toMatchObject({ id: c.customer.id, name: 'Gamma Water' });
    });
  },

  // --- facilities ------------------------------------------------------------------------

  async 'GET /api/flowline/v1/facilities'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async () => {
      for (const u of [a.admin, a.user]) {
        const own = await send(app, 'GET', '/facilities', byToken(u));
        const facilities = ok(own).facilities as { id: number; customer_id: number }[];
        expect(facilities.map((f) => f.id)).toContain(a.facility.id);
        for (const f of facilities) expect(f.customer_id).toBe(a.customer.id);
        expect(own.body).not.toContain(b.facility.name);
        // Filtering by B's customer answers what filtering by a customer that does not exist answers.
        const missing = await send(app, 'GET', `/facilities?customer_id=${NO_SUCH_ID}`, byToken(u));
        const foreign = await send(app, 'GET', `/facilities?customer_id=${b.customer.id}`, byToken(u));
        expect(foreign.statusCode).toBe(missing.statusCode);
        expect(foreign.body).toBe(missing.body);
        expect(foreign.body).not.toContain(b.facility.name);
      }
    });
  },

  async 'POST /api/flowline/v1/facilities'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      const payload = (customerId: number) => ({ customer_id: customerId, name: 'Sneaky Site', time_zone: 'America/Denver' });
      await likeMissing((id) => send(app, 'POST', '/facilities', byToken(a.admin), payload(id)), [b.customer.id], ...notFound('Customer'));
      await likeMissing((id) => send(app, 'POST', '/facilities', byToken(a.user), payload(id)), [b.customer.id], ...ADMINS_ONLY);
      // The same body naming the caller's own customer is fine.
      const made = ok(await send(app, 'POST', '/facilities', byToken(c.admin), payload(c.customer.id)), 201);
      expect(made).toMatchObject({ customer_id: c.customer.id, name: 'Sneaky Site' });
    });
  },

  async 'GET /api/flowline/v1/facilities/:id'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async () => {
      await aLikeMissing(ctx, 'GET', (id) => `/facilities/${id}`, [b.facility.id], bothNotFound('Facility'));
      for (const u of [a.admin, a.user]) expect(ok(await send(app, 'GET', `/facilities/${a.facility.id}`, byToken(u)))).toMatchObject({ id: a.facility.id, customer_id: a.customer.id });
    });
  },

  async 'PATCH /api/flowline/v1/facilities/:id'(ctx) {
    const { app, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      const payload = { name: 'Hijacked', address: '1 Elsewhere Rd', time_zone: 'Europe/Paris' };
      await aLikeMissing(ctx, 'PATCH', (id) => `/facilities/${id}`, [b.facility.id], bothNotFound('Facility'), payload);
      expect(ok(await send(app, 'PATCH', `/facilities/${c.facility.id}`, byToken(c.admin), payload))).toMatchObject({ id: c.facility.id, ...payload });
    });
  },

  // --- controllers, processes, channels ----------------------------------------------------

  async 'POST /api/flowline/v1/controllers'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ operator, c }) => {
      const payload = (facilityId: number, serial: string) => ({
        facility_id: facilityId,
        serial_number: serial,
        model: 'W900',
        name: 'Sneaky Controller',
        processes: [{ name: 'Tower' }],
        channels: [{ number: 'S1', type: 'conductivity', process: 'Tower' }],
      });
      await likeMissing((id) => send(app, 'POST', '/controllers', byToken(a.admin), payload(id, `SNEAKY-A-${id}`)), [b.facility.id], ...notFound('Facility'));
      await likeMissing((id) => send(app, 'POST', '/controllers', byToken(a.user), payload(id, `SNEAKY-U-${id}`)), [b.facility.id], ...ADMINS_ONLY);
      const everything = await send(app, 'GET', '/controllers', byToken(operator));
      expect(everything.body).not.toContain('SNEAKY-');
      // The same body on the caller's own facility registers the controller.
      const made = ok(await send(app, 'POST', '/controllers', byToken(c.admin), payload(c.facility.id, `GAMMA-${Date.now()}`)), 201);
      expect(made.controller).toMatchObject({ customer_id: c.customer.id, facility_id: c.facility.id });
    });
  },

  async 'GET /api/flowline/v1/controllers/:id'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async () => {
      await aLikeMissing(ctx, 'GET', (id) => `/controllers/${id}`, [b.controller.id], bothNotFound('Controller'));
      for (const u of [a.admin, a.user]) {
        const own = await send(app, 'GET', `/controllers/${a.controller.id}`, byToken(u));
        expect(ok(own).controller).toMatchObject({ id: a.controller.id, customer_id: a.customer.id });
        expect(own.json().channels.map((ch: { id: number }) => ch.id).sort()).toEqual([a.channels.s11.id, a.channels.r1.id, a.channels.unassigned.id].sort());
        expect(own.body).not.toContain(b.controller.serialNumber);
      }
    });
  },

  async 'PATCH /api/flowline/v1/controllers/:id'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      await aLikeMissing(ctx, 'PATCH', (id) => `/controllers/${id}`, [b.controller.id], bothNotFound('Controller'), { name: 'Hijacked', tag: 'x' });
      // Moving A's own controller to B's facility: B's facility is not found, A's controller stays.
      await likeMissing((id) => send(app, 'PATCH', `/controllers/${a.controller.id}`, byToken(a.admin), { facility_id: id }), [b.facility.id], ...notFound('Facility'));
      expect(ok(await send(app, 'GET', `/controllers/${a.controller.id}`, byToken(a.admin))).controller.facility_id).toBe(a.facility.id);
      // Within one customer the move works.
      const other = ok(await send(app, 'POST', '/facilities', byToken(c.admin), { name: 'Gamma Annex' }), 201);
      expect(ok(await send(app, 'PATCH', `/controllers/${c.controller.id}`, byToken(c.admin), { facility_id: other.id }))).toMatchObject({ id: c.controller.id, facility_id: other.id });
      ok(await send(app, 'PATCH', `/controllers/${c.controller.id}`, byToken(c.admin), { facility_id: c.facility.id }));
    });
  },

  async 'POST /api/flowline/v1/controllers/:id/processes'(ctx) {
    const { app, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      await aLikeMissing(ctx, 'POST', (id) => `/controllers/${id}/processes`, [b.controller.id], bothNotFound('Controller'), { name: 'Sneaky Process' });
      expect(ok(await send(app, 'POST', `/controllers/${c.controller.id}/processes`, byToken(c.admin), { name: 'Sneaky Process' }), 201)).toMatchObject({ controller_id: c.controller.id });
    });
  },

  async 'PATCH /api/flowline/v1/processes/:id'(ctx) {
    const { app, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      await aLikeMissing(ctx, 'PATCH', (id) => `/processes/${id}`, [b.process.id], bothNotFound('Process'), { name: 'Hijacked' });
      expect(ok(await send(app, 'PATCH', `/processes/${c.process.id}`, byToken(c.admin), { name: 'Cooling Tower 2' }))).toMatchObject({ id: c.process.id, name: 'Cooling Tower 2' });
    });
  },

  async 'POST /api/flowline/v1/controllers/:id/channels'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      await aLikeMissing(ctx, 'POST', (id) => `/controllers/${id}/channels`, [b.controller.id], bothNotFound('Controller'), { number: 'S50', type: 'level' });
      // On A's own controller, B's process is refused like a process that does not exist.
      const withProcess = (processId: number) => send(app, 'POST', `/controllers/${a.controller.id}/channels`, byToken(a.admin), { number: 'S51', type: 'level', process_id: processId });
      await likeMissing(withProcess, [b.process.id], 422, 'unprocessable');
      expect(ok(await send(app, 'GET', `/controllers/${a.controller.id}`, byToken(a.admin))).channels).toHaveLength(3);
      const made = ok(await send(app, 'POST', `/controllers/${c.controller.id}/channels`, byToken(c.admin), { number: 'S51', type: 'level', process_id: c.process.id }), 201);
      expect(made).toMatchObject({ controller_id: c.controller.id, process_id: c.process.id, number: 'S51' });
    });
  },

  async 'PATCH /api/flowline/v1/channels/:id'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      for (const payload of [{ name: 'Hijacked' }, { process_id: null }, { unit: 'gal' }]) {
        await aLikeMissing(ctx, 'PATCH', (id) => `/channels/${id}`, [b.channels.s11.id, b.channels.unassigned.id], bothNotFound('Channel'), payload);
      }
      // Assigning A's own channel to B's process: the message names the id, the rest is the same.
      const assign = (processId: number) => send(app, 'PATCH', `/channels/${a.channels.unassigned.id}`, byToken(a.admin), { process_id: processId });
      const missing = await assign(NO_SUCH_ID);
      expectNativeError(missing, 422, 'unprocessable', `Process ${NO_SUCH_ID} is not a process of this channel's controller.`);
      expectNativeError(await assign(b.process.id), 422, 'unprocessable', `Process ${b.process.id} is not a process of this channel's controller.`);
      const channels = ok(await send(app, 'GET', `/controllers/${a.controller.id}`, byToken(a.admin))).channels as { id: number; process_id: number | null }[];
      expect(channels.find((ch) => ch.id === a.channels.unassigned.id)!.process_id).toBeNull();
      // Within one controller the assignment works.
      expect(ok(await send(app, 'PATCH', `/channels/${c.channels.unassigned.id}`, byToken(c.admin), { process_id: c.process.id }))).toMatchObject({ process_id: c.process.id });
      ok(await send(app, 'PATCH', `/channels/${c.channels.unassigned.id}`, byToken(c.admin), { process_id: null }));
    });
  },

  // --- ingest keys -----------------------------------------------------------------------

  async 'GET /api/flowline/v1/controllers/:id/ingest-keys'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async () => {
      await aLikeMissing(ctx, 'GET', (id) => `/controllers/${id}/ingest-keys`, [b.controller.id], bothNotFound('Controller'));
      const own = ok(await send(app, 'GET', `/controllers/${a.controller.id}/ingest-keys`, byToken(a.admin))).ingest_keys as { controller_id: number }[];
      expect(own.length).toBeGreaterThan(0);
      for (const k of own) expect(k.controller_id).toBe(a.controller.id);
    });
  },

  async 'POST /api/flowline/v1/controllers/:id/ingest-keys'(ctx) {
    const { app, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      for (const payload of [{}, { overlap_seconds: 0 }, { overlap_seconds: 3600 }]) {
        await aLikeMissing(ctx, 'POST', (id) => `/controllers/${id}/ingest-keys`, [b.controller.id], bothNotFound('Controller'), payload);
      }
      expect(await ingestStatus(app, b.ingestKey)).toBe(200);
      const rotated = ok(await send(app, 'POST', `/controllers/${c.controller.id}/ingest-keys`, byToken(c.admin), { overlap_seconds: 60 }), 201);
      expect(await ingestStatus(app, rotated.key)).toBe(200);
    });
  },

  async 'DELETE /api/flowline/v1/controllers/:id/ingest-keys'(ctx) {
    const { app, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      await aLikeMissing(ctx, 'DELETE', (id) => `/controllers/${id}/ingest-keys`, [b.controller.id], bothNotFound('Controller'));
      expect(await ingestStatus(app, b.ingestKey)).toBe(200);
      // The owner's revocation does revoke: a fresh key stops at once.
      const fresh = ok(await send(app, 'POST', `/controllers/${c.controller.id}/ingest-keys`, byToken(c.admin), { overlap_seconds: 0 }), 201);
      expect(await ingestStatus(app, fresh.key)).toBe(200);
      expect(ok(await send(app, 'DELETE', `/controllers/${c.controller.id}/ingest-keys`, byToken(c.admin)))).toEqual({ revoked: 1 });
      expect(await ingestStatus(app, fresh.key)).toBe(401);
    });
  },

  async 'DELETE /api/flowline/v1/controllers/:id/ingest-keys/:keyId'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ operator, c }) => {
      const bKeys = ok(await send(app, 'GET', `/controllers/${b.controller.id}/ingest-keys`, byToken(operator))).ingest_keys as { id: number }[];
      expect(bKeys.length).toBeGreaterThan(0);
      for (const key of bKeys) {
        // B's controller with B's key, and A's own controller with B's key.
        await aLikeMissing(ctx, 'DELETE', (id) => `/controllers/${id}/ingest-keys/${key.id}`, [b.controller.id], bothNotFound('Controller'));
        await likeMissing((id) => send(app, 'DELETE', `/controllers/${a.controller.id}/ingest-keys/${id}`, byToken(a.admin)), [key.id], ...notFound('Live ingest key'));
      }
      expect(await ingestStatus(app, b.ingestKey)).toBe(200);
      expect(await ingestStatus(app, a.ingestKey)).toBe(200);
      const fresh = ok(await send(app, 'POST', `/controllers/${c.controller.id}/ingest-keys`, byToken(c.admin), { overlap_seconds: 0 }), 201);
      await likeMissing((id) => send(app, 'DELETE', `/controllers/${a.controller.id}/ingest-keys/${id}`, byToken(a.admin)), [fresh.ingest_key.id], ...notFound('Live ingest key'));
      expect(await ingestStatus(app, fresh.key)).toBe(200);
      expect(ok(await send(app, 'DELETE', `/controllers/${c.controller.id}/ingest-keys/${fresh.ingest_key.id}`, byToken(c.admin)))).toEqual({ revoked: 1 });
      expect(await ingestStatus(app, fresh.key)).toBe(401);
    });
  },

  // --- users -----------------------------------------------------------------------------

  async 'GET /api/flowline/v1/users'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ operator }) => {
      for (const u of [a.admin, a.user]) {
        const own = await send(app, 'GET', '/users', byToken(u));
        const users = ok(own).users as { id: number; customer_id: number | null; operator: boolean }[];
        expect(users.map((x) => x.id)).toEqual(expect.arrayContaining([a.admin.id, a.user.id]));
        for (const x of users) expect([x.customer_id, x.operator]).toEqual([a.customer.id, false]);
        for (const email of [b.admin.email, b.user.email, operator.email]) expect(own.body).not.toContain(email);
        const missing = await send(app, 'GET', `/users?customer_id=${NO_SUCH_ID}`, byToken(u));
        const foreign = await send(app, 'GET', `/users?customer_id=${b.customer.id}`, byToken(u));
        expect(foreign.statusCode).toBe(missing.statusCode);
        expect(foreign.body).toBe(missing.body);
      }
    });
  },

  async 'POST /api/flowline/v1/users'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ operator, c }) => {
      const payload = (customerId: number, who: string) => ({ email: `sneaky-${who}-${customerId}@example.com`, name: 'Sneaky', role: 'admin', customer_id: customerId });
      await likeMissing((id) => send(app, 'POST', '/users', byToken(a.admin), payload(id, 'admin')), [b.customer.id], ...notFound('Customer'));
      await likeMissing((id) => send(app, 'POST', '/users', byToken(a.user), payload(id, 'user')), [b.customer.id], ...ADMINS_ONLY);
      expect((await send(app, 'GET', '/users', byToken(operator))).body).not.toContain('sneaky-');
      const made = ok(await send(app, 'POST', '/users', byToken(c.admin), payload(c.customer.id, 'gamma')), 201);
      expect(made.user).toMatchObject({ customer_id: c.customer.id, role: 'admin', operator: false });
    });
  },

  async 'GET /api/flowline/v1/users/:id'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ operator }) => {
      await aLikeMissing(ctx, 'GET', (id) => `/users/${id}`, [b.user.id, b.admin.id, operator.id], bothNotFound('User'));
      for (const u of [a.admin, a.user]) expect(ok(await send(app, 'GET', `/users/${a.admin.id}`, byToken(u)))).toMatchObject({ id: a.admin.id, customer_id: a.customer.id });
    });
  },

  async 'PATCH /api/flowline/v1/users/:id'(ctx) {
    const { app, b } = ctx;
    await keepingB(ctx, async ({ operator, c }) => {
      for (const payload of [{ disabled: true }, { role: 'admin' }, { name: 'Hijacked' }]) {
        await aLikeMissing(ctx, 'PATCH', (id) => `/users/${id}`, [b.user.id, b.admin.id, operator.id], { admin: notFound('User'), user: ADMINS_ONLY }, payload);
      }
      for (const u of [b.user, b.admin]) expect((await send(app, 'GET', '/account', byToken(u))).statusCode).toBe(200);
      expect((await send(app, 'GET', '/account', byToken(operator))).statusCode).toBe(200);
      expect(ok(await send(app, 'PATCH', `/users/${c.user.id}`, byToken(c.admin), { name: 'Gamma Renamed' }))).toMatchObject({ id: c.user.id, name: 'Gamma Renamed' });
    });
  },

  async 'POST /api/flowline/v1/users/:id/password-link'(ctx) {
    const { app, b } = ctx;
    await keepingB(ctx, async ({ operator, c }) => {
      await aLikeMissing(ctx, 'POST', (id) => `/users/${id}/password-link`, [b.user.id, b.admin.id, operator.id], { admin: notFound('User'), user: ADMINS_ONLY });
      const made = ok(await send(app, 'POST', `/users/${c.user.id}/password-link`, byToken(c.admin)), 201);
      expect(made.user.id).toBe(c.user.id);
      expect(ok(await send(app, 'POST', '/account/password-link', {}, { token: linkToken(made.set_password_link.url) }))).toMatchObject({ email: c.user.email });
    });
  },

  // --- the account -------------------------------------------------------------------------

  async 'PUT /api/flowline/v1/account/password'(ctx) {
    const { app, a, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      // Nothing names another user: an extra property is refused, not applied.
      for (const extra of [{ user_id: b.user.id }, { email: b.user.email }]) {
        const res = await send(app, 'PUT', '/account/password', byToken(a.admin), { current_password: a.admin.password, new_password: 'taken-over-password', ...extra });
        expectNativeError(res, 400, 'invalid_request');
      }
      const changed = await send(app, 'PUT', '/account/password', byToken(c.user), { current_password: c.user.password, new_password: 'gamma-new-password' });
      expect(changed.statusCode, changed.body).toBe(204);
      c.user.password = 'gamma-new-password';
      expect(ok(await send(app, 'GET', '/account', byPassword(c.user))).id).toBe(c.user.id);
      // Only the caller's password changed.
      for (const u of [b.user, a.admin]) expect(ok(await send(app, 'GET', '/account', byPassword(u))).id).toBe(u.id);
      expectNativeError(await send(app, 'GET', '/account', { authorization: basic(b.user.email, 'gamma-new-password') }), 401, 'invalid_credentials');
    });
  },

  async 'POST /api/flowline/v1/account/password-reset'(ctx) {
    const { app, b } = ctx;
    await keepingB(ctx, async () => {
      // The same answer for an address that exists (in any case) and one that does not.
      const unknown = await send(app, 'POST', '/account/password-reset', {}, { email: 'nobody@nowhere.example' });
      expect(unknown.statusCode).toBe(202);
      for (const email of [b.user.email, b.admin.email.toUpperCase()]) {
        const known = await send(app, 'POST', '/account/password-reset', {}, { email });
        expect(known.statusCode).toBe(202);
        expect(known.body).toBe(unknown.body);
      }
      // Asking for a reset changes nothing by itself: B's password still works.
      expect(ok(await send(app, 'GET', '/account', byPassword(b.user))).id).toBe(b.user.id);
    });
  },

  async 'POST /api/flowline/v1/account/password-link'(ctx) {
    const { app, store, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      const inspect = (token: string) => send(app, 'POST', '/account/password-link', {}, { token });
      const unknown = await inspect(PASSWORD_LINK_PREFIX + randomBytes(32).toString('base64url'));
      expectNativeError(unknown, 404, 'not_found');
      // C's link shows C's user, and nothing of B.
      const issued = ok(await send(app, 'POST', `/users/${c.user.id}/password-link`, byToken(c.admin)), 201);
      const token = linkToken(issued.set_password_link.url);
      const seen = await inspect(token);
      expect(ok(seen)).toMatchObject({ email: c.user.email, purpose: 'reset' });
      expect(seen.body).not.toContain(b.user.email);
      expectNativeError(await send(app, 'POST', '/account/password-link', {}, { token, email: b.user.email }), 400, 'invalid_request');
      // Used, expired: the same 404 as a token that never existed.
      ok(await send(app, 'POST', '/account/set-password', {}, { token, password: 'gamma-link-password' }));
      c.user.password = 'gamma-link-password';
      const expired = await expiredLink(store, c.user.id);
      for (const dead of [token, expired]) {
        const res = await inspect(dead);
        expect(res.statusCode).toBe(404);
        expect(res.body).toBe(unknown.body);
      }
    });
  },

  async 'POST /api/flowline/v1/account/set-password'(ctx) {
    const { app, store, b } = ctx;
    await keepingB(ctx, async ({ c }) => {
      const setPassword = (token: string, password: string, extra: object = {}) => send(app, 'POST', '/account/set-password', {}, { token, password, ...extra });
      const unknown = await setPassword(PASSWORD_LINK_PREFIX + randomBytes(32).toString('base64url'), 'whatever-password');
      expectNativeError(unknown, 404, 'not_found');
      const token = linkToken(ok(await send(app, 'POST', `/users/${c.user.id}/password-link`, byToken(c.admin)), 201).set_password_link.url);
      // The link cannot be pointed at B's user.
      for (const extra of [{ email: b.user.email }, { user_id: b.user.id }]) expectNativeError(await setPassword(token, 'taken-over-password', extra), 400, 'invalid_request');
      expect(ok(await setPassword(token, 'gamma-set-password'))).toEqual({ email: c.user.email });
      c.user.password = 'gamma-set-password';
      expect(ok(await send(app, 'GET', '/account', byPassword(c.user))).id).toBe(c.user.id);
      expectNativeError(await send(app, 'GET', '/account', { authorization: basic(b.user.email, 'gamma-set-password') }), 401, 'invalid_credentials');
      expect(ok(await send(app, 'GET', '/account', byPassword(b.user))).id).toBe(b.user.id);
      // Used, expired: the same 404 as a token that never existed, and the password stays.
      const expired = await expiredLink(store, c.user.id);
      for (const dead of [token, expired]) {
        const res = await setPassword(dead, 'another-password');
        expect(res.statusCode).toBe(404);
        expect(res.body).toBe(unknown.body);
      }
      expect((await send(app, 'GET', '/account', byPassword(c.user))).statusCode).toBe(200);
    });
  },
};
