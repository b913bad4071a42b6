import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import type { Alarm, Reading } from '../../src/domain/types.js';
import { AppError } from '../../src/errors.js';
import type { IngestAlarmEvent, IngestBatch } from '../../src/store/store.js';
import { manualClock } from '../helpers/app.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { MINUTE, T2026, T2100, createPlant, expectAppError, newSerial, readingsAt, rejectionOf, type Plant } from './contract-helpers.js';

/**
 * The Store contract (src/store/store.ts), run unchanged against every backend. Each test gets
 * a fresh, migrated store, so that list results can be asserted exactly.
 */

const P = PLATFORM_SCOPE;

function alarmEvent(action: 'raise' | 'clear', code: number, time: number, channelId: number | null = null): IngestAlarmEvent {
  return { action, channelId, code, type: 'high-conductivity', severity: 'critical', message: `Alarm ${code}`, time };
}

function batch(readings: IngestBatch['readings'], alarms: IngestAlarmEvent[] = []): IngestBatch {
  return { readings, alarms };
}

const byTime = (a: Reading, b: Reading) => a.time - b.time;

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: store contract`, () => {
    const clock = manualClock(T2026);
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      clock.set(T2026);
      const created = await factory.create({ now: clock.now });
      store = created.store;
      drop = created.drop;
    });
    afterEach(async () => {
      await drop?.();
      drop = undefined;
    });

    const latestOf = async (channelId: number) => {
      const channel = await store.getChannel(P, channelId);
      return { value: channel?.latestValue, time: channel?.latestTime };
    };
    const allReadings = (channelId: number) => store.listReadings(P, { channelId, order: 'asc', limit: 100_000 });

    it('reports its dialect and answers ping', async () => {
      expect(store.dialect).toBe(factory.name);
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await store.currentMigration()).toBe(store.latestMigration());
    });

    describe('customers', () => {
      it('creates customers with integer ids and the clock time, listed by id', async () => {
        const zeta = await store.createCustomer(P, 'Zeta Water');
        clock.advance(1_000);
        const alpha = await store.createCustomer(P, 'Alpha Utilities');
        clock.advance(1_000);
        const mu = await store.createCustomer(P, 'Mu Mining');
        expect(zeta).toEqual({ id: expect.any(Number), name: 'Zeta Water', createdAt: T2026, disabledAt: null });
        expect(alpha.createdAt).toBe(T2026 + 1_000);
        expect(Number.isInteger(zeta.id)).toBe(true);
        expect(alpha.id).toBeGreaterThan(zeta.id);
        expect(mu.id).toBeGreaterThan(alpha.id);
        // By id, i.e. creation order, not by name.
        expect(await store.listCustomers(P)).toEqual([zeta, alpha, mu]);
        expect(await store.getCustomer(P, alpha.id)).toEqual(alpha);
        expect(await store.getCustomer(P, mu.id + 1_000)).toBeNull();
      });

      it('finds a customer by exact name', async () => {
        await store.createCustomer(P, 'Acme');
        const beta = await store.createCustomer(P, 'Beta');
        expect(await store.findCustomerByName(P, 'Beta')).toEqual(beta);
        expect(await store.findCustomerByName(P, 'Gamma')).toBeNull();
      });
    });

    describe('facilities', () => {
      it('stores every field, with defaults for the optional ones', async () => {
        const customer = await store.createCustomer(P, 'Acme');
        clock.advance(5);
        const full = await store.createFacility(P, {
          customerId: customer.id,
          name: 'Houston Plant',
          address: '1 Main St, Houston TX',
          latitude: 29.7604267,
          longitude: -95.3698028,
          timeZone: 'America/Chicago',
        });
        expect(full).toEqual({
          id: expect.any(Number),
          customerId: customer.id,
          name: 'Houston Plant',
          address: '1 Main St, Houston TX',
          latitude: 29.7604267,
          longitude: -95.3698028,
          timeZone: 'America/Chicago',
          createdAt: T2026 + 5,
        });
        const bare = await store.createFacility(P, { customerId: customer.id, name: 'Bare' });
        expect(bare).toMatchObject({ address: null, latitude: null, longitude: null, timeZone: 'UTC' });
        expect(await store.getFacility(P, full.id)).toEqual(full);
        expect(await store.getFacility(P, bare.id + 1_000)).toBeNull();
      });

      it('lists facilities of every customer by id', async () => {
        const a = await store.createCustomer(P, 'A');
        const b = await store.createCustomer(P, 'B');
        const f1 = await store.createFacility(P, { customerId: b.id, name: 'B1' });
        const f2 = await store.createFacility(P, { customerId: a.id, name: 'A1' });
        const f3 = await store.createFacility(P, { customerId: b.id, name: 'B2' });
        expect(await store.listFacilities(P)).toEqual([f1, f2, f3]);
      });

      it('refuses a facility of a customer that does not exist', async () => {
        await expectAppError(store.createFacility(P, { customerId: 424_242, name: 'Nowhere' }), 'not_found', 404);
        expect(await store.listFacilities(P)).toEqual([]);
      });
    });

    describe('controllers', () => {
      it('stores every field of a flow sensor; the ingest key hash never shows', async () => {
        const customer = await store.createCustomer(P, 'Acme');
        const facility = await store.createFacility(P, { customerId: customer.id, name: 'Field' });
        clock.advance(7);
        const serial = newSerial();
        const sensor = await store.createController(P, {
          facilityId: facility.id,
          serialNumber: serial,
          model: 'flow_sensor',
          name: 'Well 7 outflow',
          latitude: 31.9973,
          longitude: -102.0779,
          pipeDiameter: 4.5,
          activatedAt: T2026 - 86_400_000,
          tag: 'north pad',
          ingestKeyHash: 'a'.repeat(64),
        });
        expect(sensor).toEqual({
          id: expect.any(Number),
          customerId: customer.id,
          facilityId: facility.id,
          serialNumber: serial,
          model: 'flow_sensor',
          name: 'Well 7 outflow',
          latitude: 31.9973,
          longitude: -102.0779,
          pipeDiameter: 4.5,
          activatedAt: T2026 - 86_400_000,
          tag: 'north pad',
          lastSeenAt: null,
          createdAt: T2026 + 7,
        });
        expect(await store.getController(P, sensor.id)).toEqual(sensor);
        expect(await store.getControllerBySerial(P, serial)).toEqual(sensor);
        expect(await store.getControllerBySerial(P, '0000000000')).toBeNull();
        expect(await store.getController(P, sensor.id + 1_000)).toBeNull();

        const bare = await store.createController(P, { facilityId: facility.id, serialNumber: newSerial(), model: 'W900', name: 'Tower' });
        expect(bare).toMatchObject({ latitude: null, longitude: null, pipeDiameter: null, activatedAt: null, tag: null, lastSeenAt: null });
      });

      it('lists controllers by id, filtered by model and by facility', async () => {
        const customer = await store.createCustomer(P, 'Acme');
        const f1 = await store.createFacility(P, { customerId: customer.id, name: 'One' });
        const f2 = await store.createFacility(P, { customerId: customer.id, name: 'Two' });
        const make = (facilityId: number, model: string) => store.createController(P, { facilityId, serialNumber: newSerial(), model, name: model });
        const c1 = await make(f2.id, 'flow_sensor');
        const c2 = await make(f1.id, 'W900');
        const c3 = await make(f1.id, 'flow_sensor');
        const c4 = await make(f2.id, 'W600');
        expect(await store.listControllers(P)).toEqual([c1, c2, c3, c4]);
        expect(await store.listControllers(P, { model: 'flow_sensor' })).toEqual([c1, c3]);
        expect(await store.listControllers(P, { facilityId: f1.id })).toEqual([c2, c3]);
        expect(await store.listControllers(P, { facilityId: f2.id, model: 'flow_sensor' })).toEqual([c1]);
        expect(await store.listControllers(P, { model: 'nothing' })).toEqual([]);
      });

      it('refuses a second controller with the same serial number, even for another customer', async () => {
        const a = await createPlant(store, 'A');
        const b = await createPlant(store, 'B');
        const error = await expectAppError(
          store.createController(P, { facilityId: b.facility.id, serialNumber: a.controller.serialNumber, model: 'W900', name: 'Clone' }),
          'conflict',
          409,
        );
        expect(error.message).toContain(a.controller.serialNumber);
        expect(await store.listControllers(P)).toEqual([a.controller, b.controller]);
        expect(await store.getControllerBySerial(P, a.controller.serialNumber)).toEqual(a.controller);
      });

      it('refuses a controller in a facility that does not exist', async () => {
        await expectAppError(store.createController(P, { facilityId: 424_242, serialNumber: newSerial(), model: 'W900', name: 'X' }), 'not_found', 404);
        expect(await store.listControllers(P)).toEqual([]);
      });

      it('finds a controller by ingest key hash; setting a new key revokes the old one', async () => {
        const customer = await store.createCustomer(P, 'Acme');
        const facility = await store.createFacility(P, { customerId: customer.id, name: 'Plant' });
        const keyed = await store.createController(P, { facilityId: facility.id, serialNumber: newSerial(), model: 'W900', name: 'K', ingestKeyHash: 'old-hash' });
        const unkeyed = await store.createController(P, { facilityId: facility.id, serialNumber: newSerial(), model: 'W900', name: 'U' });
        expect(keyed).not.toHaveProperty('ingestKeyHash');
        expect(await store.findControllerByIngestKeyHash('old-hash')).toEqual(keyed);
        expect(await store.findControllerByIngestKeyHash('')).toBeNull();

        await store.setControllerIngestKey(P, keyed.id, 'new-hash');
        expect(await store.findControllerByIngestKeyHash('new-hash')).toEqual(keyed);
        expect(await store.findControllerByIngestKeyHash('old-hash')).toBeNull();

        await store.setControllerIngestKey(P, unkeyed.id, 'other-hash');
        expect(await store.findControllerByIngestKeyHash('other-hash')).toEqual(unkeyed);
        expect(await store.findControllerByIngestKeyHash('new-hash')).toEqual(keyed);

        await expectAppError(store.setControllerIngestKey(P, unkeyed.id + 1_000, 'x-hash'), 'not_found', 404);
        expect(await store.findControllerByIngestKeyHash('x-hash')).toBeNull();
      });
    });

    describe('processes and channels', () => {
      it('creates processes, listed by id and by controller', async () => {
        const a = await createPlant(store, 'A');
        const b = await createPlant(store, 'B');
        clock.advance(3);
        const a2 = await store.createProcess(P, { controllerId: a.controller.id, name: 'Boiler' });
        expect(a2).toEqual({ id: expect.any(Number), customerId: a.customer.id, controllerId: a.controller.id, name: 'Boiler', createdAt: T2026 + 3 });
        expect(await store.listProcesses(P)).toEqual([a.process, b.process, a2]);
        expect(await store.listProcesses(P, { controllerId: a.controller.id })).toEqual([a.process, a2]);
        expect(await store.listProcesses(P, { controllerId: b.controller.id })).toEqual([b.process]);
        await expectAppError(store.createProcess(P, { controllerId: 424_242, name: 'Ghost' }), 'not_found', 404);
        expect(await store.listProcesses(P)).toHaveLength(3);
      });

      it('stores every field of a channel, which starts with no latest value', async () => {
        const a = await createPlant(store, 'A');
        expect(a.s11).toEqual({
          id: expect.any(Number),
          customerId: a.customer.id,
          controllerId: a.controller.id,
          processId: a.process.id,
          number: 'S11',
          name: 'Conductivity',
          kind: 'input',
          type: 'conductivity',
          unit: 'µS/cm',
          latestValue: null,
          latestTime: null,
          createdAt: T2026,
        });
        expect(a.s12.unit).toBeNull();
        expect(a.s99.processId).toBeNull();
        const relay = await store.createChannel(P, { controllerId: a.controller.id, processId: a.process.id, number: 'R1', name: 'Bleed', kind: 'output', type: 'relay' });
        expect(relay).toMatchObject({ kind: 'output', type: 'relay', unit: null });
        expect(await store.getChannel(P, relay.id)).toEqual(relay);
        expect(await store.getChannel(P, relay.id + 1_000)).toBeNull();
      });

      it('lists channels by id, filtered by controller and by process', async () => {
        const a = await createPlant(store, 'A');
        const b = await createPlant(store, 'B');
        const boiler = await store.createProcess(P, { controllerId: a.controller.id, name: 'Boiler' });
        const a3 = await store.createChannel(P, { controllerId: a.controller.id, processId: boiler.id, number: 'S13', name: 'ORP', kind: 'input', type: 'orp' });
        expect(await store.listChannels(P)).toEqual([a.s11, a.s12, a.s99, b.s11, b.s12, b.s99, a3]);
        expect(await store.listChannels(P, { controllerId: a.controller.id })).toEqual([a.s11, a.s12, a.s99, a3]);
        expect(await store.listChannels(P, { processId: a.process.id })).toEqual([a.s11, a.s12]);
        expect(await store.listChannels(P, { processId: boiler.id })).toEqual([a3]);
        expect(await store.listChannels(P, { controllerId: b.controller.id, processId: a.process.id })).toEqual([]);
      });

      it('refuses a second channel with the same number on one controller, not on another', async () => {
        const a = await createPlant(store, 'A');
        const b = await createPlant(store, 'B');
        await expectAppError(
          store.createChannel(P, { controllerId: a.controller.id, processId: a.process.id, number: 'S11', name: 'Again', kind: 'input', type: 'ph' }),
          'conflict',
          409,
        );
        expect(await store.listChannels(P, { controllerId: a.controller.id })).toEqual([a.s11, a.s12, a.s99]);
        // Channel numbers are per controller: B has its own S11 already, and can get an S20 too.
        expect(b.s11.number).toBe('S11');
        const s20 = await store.createChannel(P, { controllerId: b.controller.id, number: 'S20', name: 'Level', kind: 'input', type: 'level' });
        expect(s20.controllerId).toBe(b.controller.id);
      });

      it('refuses a process of another controller, or one that does not exist', async () => {
        const a = await createPlant(store, 'A');
        const other = await store.createController(P, { facilityId: a.facility.id, serialNumber: newSerial(), model: 'W900', name: 'Other' });
        await expectAppError(
          store.createChannel(P, { controllerId: other.id, processId: a.process.id, number: 'S11', name: 'Borrowed', kind: 'input', type: 'ph' }),
          'unprocessable',
          422,
        );
        await expectAppError(
          store.createChannel(P, { controllerId: other.id, processId: 424_242, number: 'S11', name: 'Ghost', kind: 'input', type: 'ph' }),
          'unprocessable',
          422,
        );
        await expectAppError(
          store.createChannel(P, { controllerId: 424_242, number: 'S11', name: 'Orphan', kind: 'input', type: 'ph' }),
          'not_found',
          404,
        );
        expect(await store.listChannels(P, { controllerId: other.id })).toEqual([]);
        // With no process at all, the channel is created (its data will not be stored).
        const free = await store.createChannel(P, { controllerId: other.id, number: 'S11', name: 'Free', kind: 'input', type: 'ph' });
        expect(free.processId).toBeNull();
      });
    });

    describe('users', () => {
      it('stores the e-mail trimmed and lowercased, with no token yet and no secrets exposed', async () => {
        const acme = await store.createCustomer(P, 'Acme');
        clock.advance(11);
        const user = await store.createUser(P, { customerId: acme.id, email: '  Alice.Smith@Example.COM ', name: 'Alice', role: 'admin', passwordHash: 'scrypt$hash-1' });
        expect(user).toEqual({
          id: expect.any(Number),
          customerId: acme.id,
          operator: false,
          email: 'alice.smith@example.com',
          name: 'Alice',
          role: 'admin',
          hasPassword: true,
          disabledAt: null,
          hasApiToken: false,
          apiTokenCreatedAt: null,
          apiTermsAcceptedAt: null,
          createdAt: T2026 + 11,
        });
        expect(user).not.toHaveProperty('passwordHash');
        expect(await store.getUser(P, user.id)).toEqual(user);
        expect(await store.getUser(P, user.id + 1_000)).toBeNull();

        const operator = await store.createUser(P, { customerId: null, operator: true, email: 'ops@flowline.example', name: 'Ops', role: 'admin', passwordHash: 'scrypt$hash-2' });
        expect(operator.customerId).toBeNull();
        expect(await store.listUsers(P)).toEqual([user, operator]);
      });

      it('refuses a second user with the same e-mail in any case, even for another customer', async () => {
        const acme = await store.createCustomer(P, 'Acme');
        const beta = await store.createCustomer(P, 'Beta');
        const first = await store.createUser(P, { customerId: acme.id, email: 'bob@example.com', name: 'Bob', role: 'user', passwordHash: 'h' });
        await expectAppError(store.createUser(P, { customerId: beta.id, email: 'BOB@Example.com', name: 'Bob 2', role: 'user', passwordHash: 'h2' }), 'conflict', 409);
        await expectAppError(store.createUser(P, { customerId: null, operator: true, email: ' bob@example.com', name: 'Bob 3', role: 'admin', passwordHash: 'h3' }), 'conflict', 409);
        expect(await store.listUsers(P)).toEqual([first]);
      });

      it('refuses a user of a customer that does not exist', async () => {
        await expectAppError(store.createUser(P, { customerId: 424_242, email: 'x@example.com', name: 'X', role: 'user', passwordHash: 'h' }), 'not_found', 404);
        expect(await store.listUsers(P)).toEqual([]);
      });

      it('finds credentials by e-mail case-insensitively', async () => {
        const acme = await store.createCustomer(P, 'Acme');
        const carol = await store.createUser(P, { customerId: acme.id, email: 'carol@example.com', name: 'Carol', role: 'user', passwordHash: 'scrypt$carol' });
        const expected = { ...carol, passwordHash: 'scrypt$carol', apiTokenHash: null, customerDisabledAt: null };
        expect(await store.findUserCredentialsByEmail('carol@example.com')).toEqual(expected);
        expect(await store.findUserCredentialsByEmail('CAROL@Example.Com')).toEqual(expected);
        expect(await store.findUserCredentialsByEmail(' carol@example.com ')).toEqual(expected);
        expect(await store.findUserCredentialsByEmail('carol@example.org')).toBeNull();
        expect(await store.findUserCredentialsByEmail('')).toBeNull();
      });

      it('looks users up by token hash; a new token replaces the old hash', async () => {
        const acme = await store.createCustomer(P, 'Acme');
        const dave = await store.createUser(P, { customerId: acme.id, email: 'dave@example.com', name: 'Dave', role: 'user', passwordHash: 'p' });
        const erin = await store.createUser(P, { customerId: acme.id, email: 'erin@example.com', name: 'Erin', role: 'user', passwordHash: 'p' });
        expect(await store.findUserCredentialsByTokenHash('hash-1')).toBeNull();

        await store.setUserApiToken(dave.id, 'hash-1', T2026 + 100);
        const found = await store.findUserCredentialsByTokenHash('hash-1');
        expect(found).toEqual({
          ...dave,
          hasApiToken: true,
          apiTokenCreatedAt: T2026 + 100,
          apiTermsAcceptedAt: T2026 + 100,
          passwordHash: 'p',
          apiTokenHash: 'hash-1',
          customerDisabledAt: null,
        });
        expect(await store.getUser(P, dave.id)).toMatchObject({ hasApiToken: true, apiTokenCreatedAt: T2026 + 100 });

        await store.setUserApiToken(dave.id, 'hash-2', T2026 + 200);
        expect(await store.findUserCredentialsByTokenHash('hash-1')).toBeNull();
        // The terms were accepted once, with the first token; a new token keeps that time.
        expect(await store.findUserCredentialsByTokenHash('hash-2')).toMatchObject({ id: dave.id, apiTokenHash: 'hash-2', apiTokenCreatedAt: T2026 + 200, apiTermsAcceptedAt: T2026 + 100 });
        expect(await store.findUserCredentialsByEmail('dave@example.com')).toMatchObject({ apiTokenHash: 'hash-2' });
        // Another user is untouched.
        expect(await store.getUser(P, erin.id)).toEqual(erin);
      });

      it('replaces a password hash', async () => {
        const acme = await store.createCustomer(P, 'Acme');
        const frank = await store.createUser(P, { customerId: acme.id, email: 'frank@example.com', name: 'Frank', role: 'user', passwordHash: 'old' });
        await store.setUserPassword(frank.id, 'new');
        expect(await store.findUserCredentialsByEmail('frank@example.com')).toMatchObject({ id: frank.id, passwordHash: 'new' });
      });
    });

    describe('ingest', () => {
      let a: Plant;
      beforeEach(async () => {
        a = await createPlant(store, 'Acme');
      });

      it('stores readings with integer ids, and serves them back with the same ids', async () => {
        const times = [T2026, T2026 + MINUTE, T2026 + 2 * MINUTE];
        const outcome = await store.ingest(a.controller.id, batch([...readingsAt(a.s11.id, times, [1500.5, 1501, 1499.25]), ...readingsAt(a.s12.id, [T2026], [7.2])]), T2026 + 5 * MINUTE);
        expect(outcome.duplicates).toBe(0);
        expect(outcome.raised).toEqual([]);
        expect(outcome.cleared).toEqual([]);
        expect(outcome.alarmEventsIgnored).toBe(0);
        expect(outcome.stored).toHaveLength(4);
        for (const r of outcome.stored) expect(Number.isInteger(r.id)).toBe(true);
        expect(new Set(outcome.stored.map((r) => r.id)).size).toBe(4);
        const s11 = outcome.stored.filter((r) => r.channelId === a.s11.id).sort(byTime);
        expect(s11.map((r) => [r.time, r.value])).toEqual([
          [T2026, 1500.5],
          [T2026 + MINUTE, 1501],
          [T2026 + 2 * MINUTE, 1499.25],
        ]);
        expect(await allReadings(a.s11.id)).toEqual(s11);
        expect(await allReadings(a.s12.id)).toEqual(outcome.stored.filter((r) => r.channelId === a.s12.id));
        expect(await store.countReadings(P, a.s11.id)).toBe(3);
        expect(await store.countReadings(P, a.s12.id)).toBe(1);
      });

      it('is idempotent on (channel, time): a resend stores nothing, keeps values and ids, counts duplicates', async () => {
        const times = [T2026, T2026 + MINUTE, T2026 + 2 * MINUTE];
        const first = await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, times, [10, 11, 12])), T2026 + 3 * MINUTE);
        const before = await allReadings(a.s11.id);
        expect(before.map((r) => r.value)).toEqual([10, 11, 12]);

        const resend = await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, times, [90, 91, 92])), T2026 + 4 * MINUTE);
        expect(resend.stored).toEqual([]);
        expect(resend.duplicates).toBe(3);
        expect(await allReadings(a.s11.id)).toEqual(before);
        expect(before.map((r) => r.id).sort()).toEqual(first.stored.map((r) => r.id).sort());
        expect(await latestOf(a.s11.id)).toEqual({ value: 12, time: T2026 + 2 * MINUTE });

        // A partial resend stores only what is new.
        const partial = await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, [T2026 + 2 * MINUTE, T2026 + 3 * MINUTE], [99, 13])), T2026 + 5 * MINUTE);
        expect(partial.duplicates).toBe(1);
        expect(partial.stored).toEqual([{ id: expect.any(Number), channelId: a.s11.id, time: T2026 + 3 * MINUTE, value: 13 }]);
        expect((await allReadings(a.s11.id)).map((r) => r.value)).toEqual([10, 11, 12, 13]);
        expect(await store.countReadings(P, a.s11.id)).toBe(4);
      });

      it('keeps the first of two readings with the same (channel, time) in one batch', async () => {
        const outcome = await store.ingest(
          a.controller.id,
          batch([
            { channelId: a.s11.id, time: T2026, value: 1 },
            { channelId: a.s12.id, time: T2026, value: 7 },
            { channelId: a.s11.id, time: T2026, value: 2 },
            { channelId: a.s11.id, time: T2026, value: 3 },
          ]),
          T2026 + MINUTE,
        );
        expect(outcome.stored).toHaveLength(2);
        expect(outcome.duplicates).toBe(2);
        expect((await allReadings(a.s11.id)).map((r) => r.value)).toEqual([1]);
        expect((await allReadings(a.s12.id)).map((r) => r.value)).toEqual([7]);
        expect(await latestOf(a.s11.id)).toEqual({ value: 1, time: T2026 });
      });

      it('is all-or-nothing: a batch that fails midway stores nothing and moves no latest value or last_seen_at', async () => {
        await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, [T2026], [7])), T2026 + MINUTE);
        const controllerBefore = await store.getController(P, a.controller.id);
        expect(controllerBefore?.lastSeenAt).toBe(T2026 + MINUTE);

        // 2,500 valid readings (more than one multi-row INSERT on either engine), then one for a
        // channel that does not exist, which violates the foreign key.
        const valid = readingsAt(a.s11.id, Array.from({ length: 2_500 }, (_, i) => T2026 + (i + 1) * 1_000));
        const failing = batch([...valid, ...readingsAt(a.s12.id, [T2026], [7.5]), { channelId: a.s99.id + 100_000, time: T2026, value: 1 }]);
        await rejectionOf(store.ingest(a.controller.id, failing, T2026 + 10 * MINUTE));

        expect(await store.countReadings(P, a.s11.id)).toBe(1);
        expect(await store.countReadings(P, a.s12.id)).toBe(0);
        expect(await latestOf(a.s11.id)).toEqual({ value: 7, time: T2026 });
        expect(await latestOf(a.s12.id)).toEqual({ value: null, time: null });
        expect(await store.getController(P, a.controller.id)).toEqual(controllerBefore);

        // The store is not left inside a transaction: the valid part goes in on its own.
        const retry = await store.ingest(a.controller.id, batch(valid), T2026 + 11 * MINUTE);
        expect(retry.stored).toHaveLength(2_500);
        expect(await store.countReadings(P, a.s11.id)).toBe(2_501);
        expect((await store.getController(P, a.controller.id))?.lastSeenAt).toBe(T2026 + 11 * MINUTE);
      });

      it('is all-or-nothing when an alarm event fails: its readings are not stored either', async () => {
        const failing = batch(readingsAt(a.s11.id, [T2026, T2026 + MINUTE]), [
          alarmEvent('raise', 1, T2026, a.s11.id),
          alarmEvent('raise', 2, T2026 + MINUTE, a.s99.id + 100_000),
        ]);
        await rejectionOf(store.ingest(a.controller.id, failing, T2026 + 2 * MINUTE));
        expect(await store.countReadings(P, a.s11.id)).toBe(0);
        expect(await store.listAlarms(P, { limit: 100 })).toEqual([]);
        expect(await latestOf(a.s11.id)).toEqual({ value: null, time: null });
        expect((await store.getController(P, a.controller.id))?.lastSeenAt).toBeNull();
      });

      it('moves the latest value only forward in time: late readings are stored but do not overwrite it', async () => {
        await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, [T2026 + 10 * MINUTE], [10])), T2026 + 11 * MINUTE);
        expect(await latestOf(a.s11.id)).toEqual({ value: 10, time: T2026 + 10 * MINUTE });

        const late = await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, [T2026 + 5 * MINUTE], [5])), T2026 + 12 * MINUTE);
        expect(late.stored).toHaveLength(1);
        expect(await latestOf(a.s11.id)).toEqual({ value: 10, time: T2026 + 10 * MINUTE });

        await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, [T2026 + 20 * MINUTE], [20])), T2026 + 21 * MINUTE);
        expect(await latestOf(a.s11.id)).toEqual({ value: 20, time: T2026 + 20 * MINUTE });

        // Within one batch the newest reading wins whatever its position; a resend at the latest time changes nothing.
        await store.ingest(
          a.controller.id,
          batch([
            { channelId: a.s11.id, time: T2026 + 30 * MINUTE, value: 30 },
            { channelId: a.s11.id, time: T2026 + 25 * MINUTE, value: 25 },
            { channelId: a.s11.id, time: T2026 + 15 * MINUTE, value: 15 },
          ]),
          T2026 + 31 * MINUTE,
        );
        expect(await latestOf(a.s11.id)).toEqual({ value: 30, time: T2026 + 30 * MINUTE });
        await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, [T2026 + 30 * MINUTE], [-1])), T2026 + 32 * MINUTE);
        expect(await latestOf(a.s11.id)).toEqual({ value: 30, time: T2026 + 30 * MINUTE });
        // Each channel has its own latest value.
        expect(await latestOf(a.s12.id)).toEqual({ value: null, time: null });
        expect((await allReadings(a.s11.id)).map((r) => r.value)).toEqual([5, 10, 15, 20, 25, 30]);
      });

      it('sets last_seen_at to the time the batch was received, for that controller only', async () => {
        const b = await createPlant(store, 'Beta');
        await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, [T2026 - 3 * MINUTE])), T2026 + 42);
        expect((await store.getController(P, a.controller.id))?.lastSeenAt).toBe(T2026 + 42);
        expect((await store.getController(P, b.controller.id))?.lastSeenAt).toBeNull();
        // An alarm-only batch is contact too.
        await store.ingest(a.controller.id, batch([], [alarmEvent('raise', 3, T2026)]), T2026 + 99);
        expect((await store.getController(P, a.controller.id))?.lastSeenAt).toBe(T2026 + 99);
      });

      it('accepts an empty batch and writes nothing', async () => {
        const outcome = await store.ingest(a.controller.id, batch([]), T2026);
        expect(outcome).toEqual({ stored: [], duplicates: 0, raised: [], cleared: [], alarmEventsIgnored: 0 });
        expect(await store.countReadings(P, a.s11.id)).toBe(0);
        expect(await store.listAlarms(P, { limit: 10 })).toEqual([]);
      });

      it('keeps values exactly as sent (IEEE doubles round-trip)', async () => {
        const values = [0.1 + 0.2, -273.15, 1e-300, 1.7976931348623157e308, 123_456_789.123_456_79, 0, -0.000_001, 5e-324];
        const times = values.map((_, i) => T2026 + i * 1_000);
        await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, times, values)), T2026);
        expect((await allReadings(a.s11.id)).map((r) => r.value)).toEqual(values);
        expect((await latestOf(a.s11.id)).value).toBe(5e-324);
      });
    });

    describe('alarms', () => {
      let a: Plant;
      beforeEach(async () => {
        a = await createPlant(store, 'Acme');
      });

      it('raises an alarm with every field; raising it again while active is ignored', async () => {
        const raised = await store.ingest(a.controller.id, batch([], [alarmEvent('raise', 12, T2026, a.s11.id)]), T2026 + 1);
        expect(raised.raised).toEqual([
          {
            id: expect.any(Number),
            customerId: a.customer.id,
            controllerId: a.controller.id,
            channelId: a.s11.id,
            type: 'high-conductivity',
            code: 12,
            severity: 'critical',
            message: 'Alarm 12',
            raisedAt: T2026,
            clearedAt: null,
            acknowledgedAt: null,
          },
        ]);
        expect(raised.alarmEventsIgnored).toBe(0);
        const alarm = raised.raised[0]!;

        const again = await store.ingest(a.controller.id, batch([], [alarmEvent('raise', 12, T2026 + MINUTE, a.s11.id)]), T2026 + MINUTE);
        expect(again.raised).toEqual([]);
        expect(again.alarmEventsIgnored).toBe(1);
        expect(await store.listAlarms(P, { activeOnly: true, limit: 10 })).toEqual([alarm]);

        // Twice in one batch: one alarm.
        const twice = await store.ingest(a.controller.id, batch([], [alarmEvent('raise', 13, T2026), alarmEvent('raise', 13, T2026 + 1)]), T2026 + 2);
        expect(twice.raised).toHaveLength(1);
        expect(twice.alarmEventsIgnored).toBe(1);
        expect(await store.listAlarms(P, { limit: 10 })).toHaveLength(2);
      });

      it('clears the active alarm; a clear with nothing active is ignored; a new raise is a new alarm', async () => {
        const { raised } = await store.ingest(a.controller.id, batch([], [alarmEvent('raise', 5, T2026, a.s12.id)]), T2026);
        const alarm = raised[0]!;
        const cleared = await store.ingest(a.controller.id, batch([], [alarmEvent('clear', 5, T2026 + 10 * MINUTE, a.s12.id)]), T2026 + 10 * MINUTE);
        expect(cleared.cleared).toEqual([{ ...alarm, clearedAt: T2026 + 10 * MINUTE }]);
        expect(cleared.alarmEventsIgnored).toBe(0);
        expect(await store.listAlarms(P, { activeOnly: true, limit: 10 })).toEqual([]);
        expect(await store.listAlarms(P, { limit: 10 })).toEqual([{ ...alarm, clearedAt: T2026 + 10 * MINUTE }]);

        const clearAgain = await store.ingest(a.controller.id, batch([], [alarmEvent('clear', 5, T2026 + 11 * MINUTE, a.s12.id)]), T2026 + 11 * MINUTE);
        expect(clearAgain).toMatchObject({ cleared: [], alarmEventsIgnored: 1 });
        const neverRaised = await store.ingest(a.controller.id, batch([], [alarmEvent('clear', 77, T2026)]), T2026 + 12 * MINUTE);
        expect(neverRaised).toMatchObject({ raised: [], cleared: [], alarmEventsIgnored: 1 });
        expect(await store.listAlarms(P, { limit: 10 })).toEqual([{ ...alarm, clearedAt: T2026 + 10 * MINUTE }]);

        const reraised = await store.ingest(a.controller.id, batch([], [alarmEvent('raise', 5, T2026 + 20 * MINUTE, a.s12.id)]), T2026 + 20 * MINUTE);
        expect(reraised.raised).toHaveLength(1);
        expect(reraised.raised[0]!.id).not.toBe(alarm.id);
        expect(await store.listAlarms(P, { activeOnly: true, limit: 10 })).toEqual(reraised.raised);
        expect(await store.listAlarms(P, { limit: 10 })).toHaveLength(2);
      });

      it('tells alarms apart by code and channel: clearing one leaves the others active', async () => {
        const { raised } = await store.ingest(
          a.controller.id,
          batch([], [alarmEvent('raise', 1, T2026, a.s11.id), alarmEvent('raise', 1, T2026, a.s12.id), alarmEvent('raise', 1, T2026), alarmEvent('raise', 2, T2026, a.s11.id)]),
          T2026,
        );
        expect(raised).toHaveLength(4);
        const { cleared } = await store.ingest(a.controller.id, batch([], [alarmEvent('clear', 1, T2026 + MINUTE, a.s11.id)]), T2026 + MINUTE);
        expect(cleared.map((c) => [c.code, c.channelId])).toEqual([[1, a.s11.id]]);
        const active = await store.listAlarms(P, { activeOnly: true, limit: 10 });
        expect(active.map((x) => [x.code, x.channelId]).sort()).toEqual(
          [
            [1, a.s12.id],
            [1, null],
            [2, a.s11.id],
          ].sort(),
        );
      });

      it('applies the alarm events of a batch in time order', async () => {
        const outcome = await store.ingest(a.controller.id, batch([], [alarmEvent('clear', 9, T2026 + MINUTE), alarmEvent('raise', 9, T2026)]), T2026 + MINUTE);
        expect(outcome.raised).toHaveLength(1);
        expect(outcome.cleared).toEqual([{ ...outcome.raised[0]!, clearedAt: T2026 + MINUTE }]);
        expect(outcome.alarmEventsIgnored).toBe(0);
        expect(await store.listAlarms(P, { activeOnly: true, limit: 10 })).toEqual([]);
      });

      it('lists alarms newest first (then by id), by controller, active only, up to the limit', async () => {
        const b = await createPlant(store, 'Beta');
        const r1 = await store.ingest(
          a.controller.id,
          batch([], [alarmEvent('raise', 1, T2026 + MINUTE), alarmEvent('raise', 2, T2026 + 3 * MINUTE), alarmEvent('raise', 3, T2026 + 2 * MINUTE)]),
          T2026 + 4 * MINUTE,
        );
        const byCode = (code: number): Alarm => r1.raised.find((x) => x.code === code)!;
        const r2 = await store.ingest(b.controller.id, batch([], [alarmEvent('raise', 4, T2026 + 5 * MINUTE)]), T2026 + 5 * MINUTE);
        const b4 = r2.raised[0]!;
        // Two alarms raised at the same instant: the later id first.
        const r3 = await store.ingest(a.controller.id, batch([], [alarmEvent('raise', 5, T2026), alarmEvent('raise', 6, T2026)]), T2026 + 6 * MINUTE);
        const [first, second] = [...r3.raised].sort((x, y) => x.id - y.id) as [Alarm, Alarm];
        const c2 = (await store.ingest(a.controller.id, batch([], [alarmEvent('clear', 2, T2026 + 7 * MINUTE)]), T2026 + 7 * MINUTE)).cleared[0]!;

        expect(await store.listAlarms(P, { limit: 100 })).toEqual([b4, c2, byCode(3), byCode(1), second, first]);
        expect(await store.listAlarms(P, { controllerId: a.controller.id, limit: 100 })).toEqual([c2, byCode(3), byCode(1), second, first]);
        expect(await store.listAlarms(P, { controllerId: a.controller.id, activeOnly: true, limit: 100 })).toEqual([byCode(3), byCode(1), second, first]);
        expect(await store.listAlarms(P, { limit: 2 })).toEqual([b4, c2]);
        expect(await store.listAlarms(P, { activeOnly: true, limit: 2 })).toEqual([b4, byCode(3)]);
        expect(await store.listAlarms(P, { controllerId: 424_242, limit: 100 })).toEqual([]);
      });
    });

    describe('listReadings', () => {
      it('takes inclusive bounds, both orders and a limit, for one channel only', async () => {
        const a = await createPlant(store, 'Acme');
        const t = (i: number) => T2026 + i * MINUTE;
        // Sent out of order, and with another channel's readings at the same times.
        await store.ingest(
          a.controller.id,
          batch([...readingsAt(a.s11.id, [t(3), t(0), t(4), t(1), t(2)], [3, 0, 4, 1, 2]), ...readingsAt(a.s12.id, [t(1), t(2)], [70, 71])]),
          t(5),
        );
        const values = async (q: { from?: number; to?: number; order: 'asc' | 'desc'; limit: number }) =>
          (await store.listReadings(P, { channelId: a.s11.id, ...q })).map((r) => r.value);
        expect(await values({ order: 'asc', limit: 100 })).toEqual([0, 1, 2, 3, 4]);
        expect(await values({ order: 'desc', limit: 100 })).toEqual([4, 3, 2, 1, 0]);
        expect(await values({ from: t(1), to: t(3), order: 'asc', limit: 100 })).toEqual([1, 2, 3]);
        expect(await values({ from: t(1), to: t(3), order: 'desc', limit: 100 })).toEqual([3, 2, 1]);
        expect(await values({ from: t(1) + 1, to: t(3) - 1, order: 'asc', limit: 100 })).toEqual([2]);
        expect(await values({ from: t(2), to: t(2), order: 'asc', limit: 100 })).toEqual([2]);
        expect(await values({ from: t(3), order: 'asc', limit: 100 })).toEqual([3, 4]);
        expect(await values({ to: t(1), order: 'desc', limit: 100 })).toEqual([1, 0]);
        expect(await values({ order: 'asc', limit: 2 })).toEqual([0, 1]);
        expect(await values({ order: 'desc', limit: 2 })).toEqual([4, 3]);
        expect(await values({ from: t(1), order: 'asc', limit: 2 })).toEqual([1, 2]);
        expect(await values({ from: t(3), to: t(1), order: 'asc', limit: 100 })).toEqual([]);
        expect(await values({ from: t(5), order: 'asc', limit: 100 })).toEqual([]);
        const rows = await store.listReadings(P, { channelId: a.s12.id, order: 'asc', limit: 100 });
        expect(rows).toEqual([
          { id: expect.any(Number), channelId: a.s12.id, time: t(1), value: 70 },
          { id: expect.any(Number), channelId: a.s12.id, time: t(2), value: 71 },
        ]);
        expect(await store.listReadings(P, { channelId: a.s99.id + 1_000, order: 'asc', limit: 100 })).toEqual([]);
        expect(await store.countReadings(P, a.s99.id + 1_000)).toBe(0);
      });
    });

    describe('scale and range', () => {
      it('ingests a batch of 10,000 readings in one call, and recognises its resend', async () => {
        const a = await createPlant(store, 'Acme');
        const n = 10_000;
        const times = Array.from({ length: n }, (_, i) => T2026 + i * 1_000);
        const values = times.map((_, i) => Math.round(Math.sin(i / 100) * 1e6) / 1e3);
        const outcome = await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, times, values)), T2026 + n * 1_000);
        expect(outcome.duplicates).toBe(0);
        expect(outcome.stored).toHaveLength(n);
        const ids = outcome.stored.map((r) => r.id);
        expect(ids.every((id) => Number.isInteger(id))).toBe(true);
        expect(new Set(ids).size).toBe(n);
        expect(await store.countReadings(P, a.s11.id)).toBe(n);
        const listed = await store.listReadings(P, { channelId: a.s11.id, order: 'asc', limit: n + 1 });
        expect(listed).toEqual([...outcome.stored].sort(byTime));
        expect(listed.map((r) => r.value)).toEqual(values);
        expect(await latestOf(a.s11.id)).toEqual({ value: values[n - 1], time: times[n - 1] });

        const resend = await store.ingest(a.controller.id, batch(readingsAt(a.s11.id, times)), T2026 + n * 2_000);
        expect(resend.stored).toEqual([]);
        expect(resend.duplicates).toBe(n);
        expect(await store.countReadings(P, a.s11.id)).toBe(n);
      });

      it('round-trips large ids and far-future times as JS numbers', async () => {
        // Ids past 2^32 (and far past 2^31) in every table, still exact in a double.
        const tables = ['customers', 'facilities', 'controllers', 'processes', 'channels', 'readings', 'alarms', 'users'] as const;
        const start = Object.fromEntries(tables.map((t, i) => [t, (i + 1) * 2 ** 40 + i])) as Record<(typeof tables)[number], number>;
        const db = store.kysely as Kysely<unknown>;
        for (const table of tables) {
          if (factory.name === 'postgres') await sql`alter table ${sql.table(table)} alter column id restart with ${sql.lit(start[table])}`.execute(db);
          else await sql`insert into sqlite_sequence (name, seq) values (${table}, ${start[table] - 1})`.execute(db);
        }
        clock.set(T2100);
        const customer = await store.createCustomer(P, 'Future');
        expect(customer).toEqual({ id: start.customers, name: 'Future', createdAt: T2100, disabledAt: null });
        const facility = await store.createFacility(P, { customerId: customer.id, name: 'Plant' });
        expect(facility).toMatchObject({ id: start.facilities, customerId: start.customers, createdAt: T2100 });
        const controller = await store.createController(P, { facilityId: facility.id, serialNumber: newSerial(), model: 'flow_sensor', name: 'S', activatedAt: T2100 + 1 });
        expect(controller).toMatchObject({ id: start.controllers, customerId: start.customers, facilityId: start.facilities, activatedAt: T2100 + 1 });
        const process = await store.createProcess(P, { controllerId: controller.id, name: 'P' });
        expect(process).toMatchObject({ id: start.processes, controllerId: start.controllers });
        const channel = await store.createChannel(P, { controllerId: controller.id, processId: process.id, number: 'F1', name: 'Flow', kind: 'input', type: 'flowrate' });
        expect(channel).toMatchObject({ id: start.channels, processId: start.processes, controllerId: start.controllers });
        const user = await store.createUser(P, { customerId: customer.id, email: 'future@example.com', name: 'F', role: 'user', passwordHash: 'h' });
        expect(user).toMatchObject({ id: start.users, customerId: start.customers });
        await store.setUserApiToken(user.id, 'future-hash', T2100 + 2);
        expect(await store.findUserCredentialsByTokenHash('future-hash')).toMatchObject({ id: start.users, apiTokenCreatedAt: T2100 + 2, apiTermsAcceptedAt: T2100 + 2 });

        const outcome = await store.ingest(
          controller.id,
          batch(readingsAt(channel.id, [T2026 + 123, T2100 + 456], [1.5, 2.5]), [alarmEvent('raise', 2_000_000_000, T2100 + 7, channel.id)]),
          T2100 + 999,
        );
        expect([...outcome.stored].sort(byTime)).toEqual([
          { id: expect.any(Number), channelId: start.channels, time: T2026 + 123, value: 1.5 },
          { id: expect.any(Number), channelId: start.channels, time: T2100 + 456, value: 2.5 },
        ]);
        expect(outcome.stored.map((r) => r.id).sort()).toEqual([start.readings, start.readings + 1]);
        expect(outcome.raised).toEqual([expect.objectContaining({ id: start.alarms, customerId: start.customers, controllerId: start.controllers, channelId: start.channels, code: 2_000_000_000, raisedAt: T2100 + 7 })]);

        const listed = await store.listReadings(P, { channelId: channel.id, from: T2026, to: T2100 + 456, order: 'asc', limit: 10 });
        expect(listed.map((r) => [r.id, r.time])).toEqual([
          [outcome.stored.find((r) => r.time === T2026 + 123)!.id, T2026 + 123],
          [outcome.stored.find((r) => r.time === T2100 + 456)!.id, T2100 + 456],
        ]);
        expect(await store.countReadings(P, channel.id)).toBe(2);
        const seen = await store.getController(P, controller.id);
        expect(seen?.lastSeenAt).toBe(T2100 + 999);
        const latest = await store.getChannel(P, channel.id);
        expect(latest).toMatchObject({ latestValue: 2.5, latestTime: T2100 + 456 });
        expect(await store.listAlarms(P, { limit: 10 })).toEqual(outcome.raised);

        // Not merely equal after coercion: every id and time is a number.
        const records: object[] = [customer, facility, controller, process, channel, user, seen!, latest!, ...listed, ...outcome.raised];
        for (const record of records) {
          for (const [key, value] of Object.entries(record)) {
            if (/^id$|Id$|At$|^time$|Time$/.test(key) && value !== null) expect(typeof value, key).toBe('number');
          }
        }
        expect(typeof (await store.countReadings(P, channel.id))).toBe('number');
      });
    });

    // Two writers racing for the same unique key must get the same answer as when they come one
    // after the other (409), never a raw database error (which the HTTP layer turns into a 500).
    describe('concurrent writers', () => {
      const RACERS = 4;
      /** Every racer but one must fail with a 409, and exactly one must succeed. */
      const expectOneWinner = (results: PromiseSettledResult<unknown>[]) => {
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'fulfilled') continue;
          expect(r.reason, String(r.reason)).toBeInstanceOf(AppError);
          expect(r.reason).toMatchObject({ code: 'conflict', status: 409 });
        }
      };
      // Open the pool's connections first (PostgreSQL), so that the racers really overlap.
      beforeEach(async () => {
        await Promise.all(Array.from({ length: RACERS }, () => store.ping()));
      });

      it('concurrent registrations of one serial number: one wins, the others are conflicts', async () => {
        const a = await createPlant(store, 'Acme');
        const serialNumber = newSerial();
        const results = await Promise.allSettled(
          Array.from({ length: RACERS }, (_, i) => store.createController(P, { facilityId: a.facility.id, serialNumber, model: 'W900', name: `Racer ${i}` })),
        );
        expectOneWinner(results);
        expect(await store.listControllers(P, { facilityId: a.facility.id })).toHaveLength(2);
      });

      it('concurrent channels with one number on one controller: one wins, the others are conflicts', async () => {
        const a = await createPlant(store, 'Acme');
        const results = await Promise.allSettled(
          Array.from({ length: RACERS }, (_, i) => store.createChannel(P, { controllerId: a.controller.id, number: 'S50', name: `Racer ${i}`, kind: 'input', type: 'ph' })),
        );
        expectOneWinner(results);
        expect(await store.listChannels(P, { controllerId: a.controller.id })).toHaveLength(4);
      });

      it('concurrent users with one e-mail: one wins, the others are conflicts', async () => {
        const acme = await store.createCustomer(P, 'Acme');
        const results = await Promise.allSettled(
          ['racer@example.com', 'RACER@example.com', ' Racer@Example.com', 'racer@EXAMPLE.COM'].map((email) =>
            store.createUser(P, { customerId: acme.id, email, name: email, role: 'user', passwordHash: 'h' }),
          ),
        );
        expectOneWinner(results);
        expect(await store.listUsers(P)).toHaveLength(1);
      });
    });
  });
}
