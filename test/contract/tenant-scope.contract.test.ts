import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerScope, PLATFORM_SCOPE, type Scope } from '../../src/domain/scope.js';
import { digestSecret } from '../../src/domain/secrets.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { T2026, MINUTE, expectAppError, newSerial, readingsAt } from './contract-helpers.js';

/**
 * Tenant isolation in the store (SPEC: "a user only ever sees its own customer's records; another
 * customer's record answers 404"): with customer A's scope, B's records do not exist, for reads
 * and for writes, on every backend.
 */

const P = PLATFORM_SCOPE;

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: tenant scope`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let A: TenantFixture;
    let B: TenantFixture;
    let scopeA: Scope;
    let scopeB: Scope;

    /** Everything B owns, as the platform sees it. */
    const snapshot = async (t: TenantFixture) => {
      const id = t.customer.id;
      const mine = <R extends { customerId: number | null }>(rows: R[]) => rows.filter((r) => r.customerId === id);
      const channels = mine(await store.listChannels(P));
      return {
        customer: await store.getCustomer(P, id),
        facilities: mine(await store.listFacilities(P)),
        controllers: mine(await store.listControllers(P)),
        processes: mine(await store.listProcesses(P)),
        channels,
        readings: await Promise.all(channels.map((c) => store.listReadings(P, { channelId: c.id, order: 'asc', limit: 1_000 }))),
        alarms: mine(await store.listAlarms(P, { limit: 1_000 })),
        users: mine(await store.listUsers(P)),
        credentials: await Promise.all([t.admin.email, t.user.email].map((e) => store.findUserCredentialsByEmail(e))),
        keyOwner: (await store.findControllerByIngestKeyHash(digestSecret(t.ingestKey)))?.id ?? null,
      };
    };
    let bBefore: Awaited<ReturnType<typeof snapshot>>;

    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
      A = await createTenant(store, 'Acme');
      B = await createTenant(store, 'Beta');
      scopeA = customerScope(A.customer.id);
      scopeB = customerScope(B.customer.id);
      for (const [t, base] of [
        [A, 10],
        [B, 20],
      ] as const) {
        await store.ingest(
          t.controller.id,
          {
            readings: [...readingsAt(t.channels.s11.id, [T2026, T2026 + MINUTE], [base, base + 1]), ...readingsAt(t.channels.r1.id, [T2026], [1])],
            alarms: [{ action: 'raise', channelId: t.channels.s11.id, code: base, type: 'high', severity: 'warning', message: `${t.customer.name} alarm`, time: T2026 }],
          },
          T2026 + 2 * MINUTE,
        );
      }
      bBefore = await snapshot(B);
      // The snapshot must hold something for "unchanged" to mean anything.
      expect(bBefore.readings.flat()).toHaveLength(3);
      expect(bBefore.alarms).toHaveLength(1);
      expect(bBefore.users).toHaveLength(2);
      expect(bBefore.keyOwner).toBe(B.controller.id);
    });
    afterAll(async () => {
      await drop?.();
    });

    const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

    describe('reads', () => {
      // Both directions: A cannot see B, and B cannot see A.
      const pairs = () =>
        [
          [A, B, scopeA],
          [B, A, scopeB],
        ] as const;

      it('get* of the other tenant’s records answer null; of one’s own, the record', async () => {
        for (const [self, other, scope] of pairs()) {
          expect(await store.getCustomer(scope, other.customer.id)).toBeNull();
          expect(await store.getFacility(scope, other.facility.id)).toBeNull();
          expect(await store.getController(scope, other.controller.id)).toBeNull();
          expect(await store.getControllerBySerial(scope, other.controller.serialNumber)).toBeNull();
          expect(await store.getChannel(scope, other.channels.s11.id)).toBeNull();
          expect(await store.getUser(scope, other.admin.id)).toBeNull();
          expect(await store.getUser(scope, other.user.id)).toBeNull();
          expect(await store.findCustomerByName(scope, other.customer.name)).toBeNull();

          expect(await store.getCustomer(scope, self.customer.id)).toEqual(self.customer);
          expect(await store.getFacility(scope, self.facility.id)).toEqual(self.facility);
          expect(await store.getController(scope, self.controller.id)).toMatchObject({ id: self.controller.id, customerId: self.customer.id });
          expect(await store.getControllerBySerial(scope, self.controller.serialNumber)).toMatchObject({ id: self.controller.id });
          expect(await store.getChannel(scope, self.channels.s11.id)).toMatchObject({ id: self.channels.s11.id, latestTime: T2026 + MINUTE });
          expect(await store.getUser(scope, self.admin.id)).toMatchObject({ id: self.admin.id, email: self.admin.email });
          expect(await store.findCustomerByName(scope, self.customer.name)).toEqual(self.customer);
        }
      });

      it('list* answer only one’s own records, and nothing when filtered on the other tenant’s', async () => {
        for (const [self, other, scope] of pairs()) {
          expect(await store.listCustomers(scope)).toEqual([self.customer]);
          expect(await store.listFacilities(scope)).toEqual([self.facility]);
          expect(ids(await store.listControllers(scope))).toEqual([self.controller.id]);
          expect(await store.listControllers(scope, { facilityId: other.facility.id })).toEqual([]);
          expect(await store.listControllers(scope, { model: 'W900' })).toHaveLength(1);
          expect(await store.listProcesses(scope)).toEqual([self.process]);
          expect(await store.listProcesses(scope, { controllerId: other.controller.id })).toEqual([]);
          expect(ids(await store.listChannels(scope))).toEqual([self.channels.s11.id, self.channels.r1.id, self.channels.unassigned.id]);
          expect(await store.listChannels(scope, { controllerId: other.controller.id })).toEqual([]);
          expect(await store.listChannels(scope, { processId: other.process.id })).toEqual([]);
          expect(ids(await store.listUsers(scope))).toEqual([self.admin.id, self.user.id]);
        }
      });

      it('readings of the other tenant’s channel are empty and counted 0', async () => {
        for (const [self, other, scope] of pairs()) {
          for (const order of ['asc', 'desc'] as const) {
            expect(await store.listReadings(scope, { channelId: other.channels.s11.id, order, limit: 100 })).toEqual([]);
            expect(await store.listReadings(scope, { channelId: other.channels.s11.id, from: 0, to: T2026 * 2, order, limit: 100 })).toEqual([]);
          }
          expect(await store.countReadings(scope, other.channels.s11.id)).toBe(0);
          expect(await store.countReadings(scope, other.channels.r1.id)).toBe(0);
          // …while the platform sees them, and the tenant sees its own.
          expect(await store.countReadings(P, other.channels.s11.id)).toBe(2);
          expect(await store.countReadings(scope, self.channels.s11.id)).toBe(2);
          expect((await store.listReadings(scope, { channelId: self.channels.s11.id, order: 'asc', limit: 100 })).map((r) => r.channelId)).toEqual([
            self.channels.s11.id,
            self.channels.s11.id,
          ]);
        }
      });

      it('alarms are only one’s own', async () => {
        for (const [self, other, scope] of pairs()) {
          const mine = await store.listAlarms(scope, { limit: 100 });
          expect(mine.map((x) => [x.customerId, x.controllerId])).toEqual([[self.customer.id, self.controller.id]]);
          expect(await store.listAlarms(scope, { activeOnly: true, limit: 100 })).toEqual(mine);
          expect(await store.listAlarms(scope, { controllerId: other.controller.id, limit: 100 })).toEqual([]);
          expect(await store.listAlarms(scope, { controllerId: other.controller.id, activeOnly: true, limit: 100 })).toEqual([]);
        }
      });

      it('a scope of a customer that does not exist sees nothing at all', async () => {
        const ghost = customerScope(B.customer.id + 1_000);
        expect(await store.listCustomers(ghost)).toEqual([]);
        expect(await store.listFacilities(ghost)).toEqual([]);
        expect(await store.listControllers(ghost)).toEqual([]);
        expect(await store.listProcesses(ghost)).toEqual([]);
        expect(await store.listChannels(ghost)).toEqual([]);
        expect(await store.listUsers(ghost)).toEqual([]);
        expect(await store.listAlarms(ghost, { limit: 100 })).toEqual([]);
        expect(await store.countReadings(ghost, A.channels.s11.id)).toBe(0);
        expect(await store.getController(ghost, A.controller.id)).toBeNull();
      });

      it('the platform scope sees both tenants', async () => {
        expect(ids(await store.listCustomers(P))).toEqual([A.customer.id, B.customer.id]);
        expect(ids(await store.listFacilities(P))).toEqual([A.facility.id, B.facility.id]);
        expect(ids(await store.listControllers(P))).toEqual([A.controller.id, B.controller.id]);
        expect(ids(await store.listProcesses(P))).toEqual([A.process.id, B.process.id]);
        expect(await store.listChannels(P)).toHaveLength(6);
        expect(ids(await store.listUsers(P))).toEqual([A.admin.id, A.user.id, B.admin.id, B.user.id]);
        expect((await store.listAlarms(P, { limit: 100 })).map((x) => x.customerId).sort()).toEqual([A.customer.id, B.customer.id].sort());
        for (const t of [A, B]) {
          expect(await store.getCustomer(P, t.customer.id)).toEqual(t.customer);
          expect(await store.getFacility(P, t.facility.id)).toEqual(t.facility);
          expect(await store.getController(P, t.controller.id)).toMatchObject({ id: t.controller.id });
          expect(await store.getControllerBySerial(P, t.controller.serialNumber)).toMatchObject({ id: t.controller.id });
          expect(await store.getChannel(P, t.channels.s11.id)).toMatchObject({ id: t.channels.s11.id });
          expect(await store.getUser(P, t.user.id)).toMatchObject({ id: t.user.id });
          expect(await store.countReadings(P, t.channels.s11.id)).toBe(2);
        }
      });
    });

    describe('writes', () => {
      it('cannot create a facility for the other customer', async () => {
        await expectAppError(store.createFacility(scopeA, { customerId: B.customer.id, name: 'Trojan' }), 'not_found', 404);
        expect(await snapshot(B)).toEqual(bBefore);
      });

      it('cannot create a controller in the other customer’s facility', async () => {
        const serialNumber = newSerial();
        await expectAppError(store.createController(scopeA, { facilityId: B.facility.id, serialNumber, model: 'W900', name: 'Trojan' }), 'not_found', 404);
        expect(await store.getControllerBySerial(P, serialNumber)).toBeNull();
        expect(await snapshot(B)).toEqual(bBefore);
      });

      it('cannot create a process or a channel on the other customer’s controller', async () => {
        await expectAppError(store.createProcess(scopeA, { controllerId: B.controller.id, name: 'Trojan' }), 'not_found', 404);
        await expectAppError(
          store.createChannel(scopeA, { controllerId: B.controller.id, processId: B.process.id, number: 'S50', name: 'Trojan', kind: 'input', type: 'ph' }),
          'not_found',
          404,
        );
        await expectAppError(store.createChannel(scopeA, { controllerId: B.controller.id, number: 'S51', name: 'Trojan', kind: 'input', type: 'ph' }), 'not_found', 404);
        expect(await snapshot(B)).toEqual(bBefore);
      });

      it('cannot attach its own channel to the other customer’s process, and learns nothing about it', async () => {
        const foreign = await expectAppError(
          store.createChannel(scopeA, { controllerId: A.controller.id, processId: B.process.id, number: 'S60', name: 'Borrow', kind: 'input', type: 'ph' }),
          'unprocessable',
          422,
        );
        const missing = await expectAppError(
          store.createChannel(scopeA, { controllerId: A.controller.id, processId: B.process.id + 1_000, number: 'S60', name: 'Borrow', kind: 'input', type: 'ph' }),
          'unprocessable',
          422,
        );
        // Same answer as for a process that does not exist: no existence leak.
        expect(foreign.message).toBe(missing.message);
        expect(await store.listChannels(P, { processId: B.process.id })).toEqual(bBefore.channels.filter((c) => c.processId === B.process.id));
        expect(await snapshot(B)).toEqual(bBefore);
      });

      it('cannot replace the ingest key of the other customer’s controller', async () => {
        await expectAppError(store.setControllerIngestKey(scopeA, B.controller.id, 'hijacked-hash'), 'not_found', 404);
        expect(await store.findControllerByIngestKeyHash('hijacked-hash')).toBeNull();
        expect((await store.findControllerByIngestKeyHash(digestSecret(B.ingestKey)))?.id).toBe(B.controller.id);
        expect(await snapshot(B)).toEqual(bBefore);
      });

      it('cannot create a user for the other customer', async () => {
        await expectAppError(
          store.createUser(scopeA, { customerId: B.customer.id, email: 'mole@beta.example', name: 'Mole', role: 'admin', passwordHash: 'h' }),
          'not_found',
          404,
        );
        expect(await store.findUserCredentialsByEmail('mole@beta.example')).toBeNull();
        expect(await snapshot(B)).toEqual(bBefore);
      });

      it('a customer scope cannot create customers or platform users', async () => {
        const customersBefore = await store.listCustomers(P);
        await expectAppError(store.createCustomer(scopeA, 'Gamma'), 'forbidden', 403);
        expect(await store.listCustomers(P)).toEqual(customersBefore);
        await expectAppError(
          store.createUser(scopeA, { customerId: null, operator: true, email: 'root@acme.example', name: 'Root', role: 'admin', passwordHash: 'h' }),
          'not_found',
          404,
        );
        expect(await store.findUserCredentialsByEmail('root@acme.example')).toBeNull();
        expect(await snapshot(B)).toEqual(bBefore);
      });

      it('the same scoped writes succeed inside one’s own tenant (and still leave the other unchanged)', async () => {
        const facility = await store.createFacility(scopeA, { customerId: A.customer.id, name: 'Second site' });
        expect(facility.customerId).toBe(A.customer.id);
        const controller = await store.createController(scopeA, { facilityId: facility.id, serialNumber: newSerial(), model: 'W600', name: 'New' });
        expect(controller.customerId).toBe(A.customer.id);
        const process = await store.createProcess(scopeA, { controllerId: controller.id, name: 'Loop' });
        const channel = await store.createChannel(scopeA, { controllerId: controller.id, processId: process.id, number: 'S11', name: 'Cond', kind: 'input', type: 'conductivity' });
        expect([process.customerId, channel.customerId]).toEqual([A.customer.id, A.customer.id]);
        await store.setControllerIngestKey(scopeA, controller.id, 'acme-new-hash');
        expect((await store.findControllerByIngestKeyHash('acme-new-hash'))?.id).toBe(controller.id);
        const user = await store.createUser(scopeA, { customerId: A.customer.id, email: 'new@acme.example', name: 'New', role: 'user', passwordHash: 'h' });
        expect(user.customerId).toBe(A.customer.id);
        // The new records are A's, invisible to B.
        expect(await store.getController(scopeB, controller.id)).toBeNull();
        expect(await store.getFacility(scopeB, facility.id)).toBeNull();
        expect(await store.getUser(scopeB, user.id)).toBeNull();
        expect(await snapshot(B)).toEqual(bBefore);
      });
    });
  });
}
