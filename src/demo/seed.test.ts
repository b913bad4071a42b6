import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../test/helpers/app.js';
import { storeFactories, type TestStore } from '../../test/helpers/stores.js';
import { authenticate } from '../domain/auth.js';
import { customerScope, PLATFORM_SCOPE } from '../domain/scope.js';
import { digestSecret } from '../domain/secrets.js';
import { FLOW_SENSOR_MODEL } from '../domain/types.js';
import { catalogController, channelsOf, DEMO_CUSTOMER_NAME, OTHER_CUSTOMER_NAME } from './catalog.js';
import { DemoAlreadySeededError, DemoCredentialsFileError, ensureDemo, HISTORY_CHUNK_READINGS, HISTORY_STEP_MS, seedDemo, type DemoCredentials, type DemoLogin } from './seed.js';
import { valueAt } from './signals.js';

const NOW = Date.parse('2026-11-24T08:03:27.512Z');
const LAST_STEP = Date.parse('2026-11-24T08:00:00Z');

async function loginWorks(store: TestStore, login: DemoLogin): Promise<boolean> {
  try {
    await authenticate(store, { scheme: 'token', token: login.token });
    await authenticate(store, { scheme: 'basic', username: login.username, secret: login.password });
    return true;
  } catch {
    return false;
  }
}

async function keysWork(store: TestStore, credentials: DemoCredentials): Promise<boolean> {
  for (const c of credentials.controllers) {
    if ((await store.findControllerByIngestKeyHash(digestSecret(c.ingestKey)))?.serialNumber !== c.serialNumber) return false;
  }
  return true;
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: seedDemo with 30 days of history`, () => {
    const clock = manualClock(NOW);
    let store: TestStore;
    let drop: () => Promise<void>;
    let credentials: DemoCredentials;
    const progress: [number, number, string][] = [];

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: clock.now }));
      const started = performance.now();
      credentials = await seedDemo(store, { clock, onProgress: (done, total, what) => progress.push([done, total, what]) });
      console.log(`[demo] ${factory.name}: seeding 30 days took ${Math.round(performance.now() - started)} ms`);
    });
    afterAll(async () => drop?.());

    it('creates the two customers, their sites and devices', async () => {
      const customers = await store.listCustomers(PLATFORM_SCOPE);
      expect(customers.map((c) => c.name).sort()).toEqual([OTHER_CUSTOMER_NAME, DEMO_CUSTOMER_NAME].sort());
      const facilities = await store.listFacilities(PLATFORM_SCOPE);
      expect(facilities).toHaveLength(3);
      for (const f of facilities) {
        expect(f.address).toMatch(/\d{5}$/);
        expect(f.latitude).not.toBeNull();
        expect(f.timeZone).toMatch(/^America\//);
      }
      const controllers = await store.listControllers(PLATFORM_SCOPE);
      expect(controllers).toHaveLength(9);
      for (const c of controllers) expect(c.serialNumber).toMatch(/^\d{10}$/);
      const sensors = await store.listControllers(PLATFORM_SCOPE, { model: FLOW_SENSOR_MODEL });
      expect(sensors).toHaveLength(4);
      for (const s of sensors) {
        expect(s.pipeDiameter).toBeGreaterThan(0);
        expect(s.activatedAt).toBeLessThan(NOW);
        expect(s.tag).toBeTruthy();
        expect(s.latitude).not.toBeNull();
        const channels = await store.listChannels(PLATFORM_SCOPE, { controllerId: s.id });
        expect(channels).toMatchObject([{ number: 'S1', type: 'flowrate', unit: 'bbl/day', processId: expect.any(Number) }]);
      }
    });

    it('keeps each customer to its own records', async () => {
      const [riverside, bluewater] = await Promise.all([DEMO_CUSTOMER_NAME, OTHER_CUSTOMER_NAME].map((n) => store.findCustomerByName(PLATFORM_SCOPE, n)));
      expect(await store.listControllers(customerScope(riverside!.id))).toHaveLength(7);
      expect(await store.listControllers(customerScope(bluewater!.id))).toHaveLength(2);
      expect(await store.listFacilities(customerScope(bluewater!.id))).toHaveLength(1);
      expect(await store.listUsers(customerScope(bluewater!.id))).toHaveLength(1);
    });

    it('returns working credentials for both customers and every controller', async () => {
      const admin = await authenticate(store, { scheme: 'token', token: credentials.admin.token });
      expect(admin).toMatchObject({ email: 'admin@riverside.example', role: 'admin' });
      const riverside = await store.findCustomerByName(PLATFORM_SCOPE, DEMO_CUSTOMER_NAME);
      expect(admin.customerId).toBe(riverside!.id);
      const other = await authenticate(store, { scheme: 'basic', username: credentials.otherCustomerUser.username, secret: credentials.otherCustomerUser.password });
      expect(other.customerId).not.toBe(riverside!.id);
      expect(await loginWorks(store, credentials.admin)).toBe(true);
      expect(credentials.controllers).toHaveLength(9);
      expect(await keysWork(store, credentials)).toBe(true);
      const tower = credentials.controllers.find((c) => c.serialNumber === '1903291361')!;
      expect(tower.channels.map((c) => c.number)).toEqual(['S11', 'S12', 'S21', 'S31', 'S41', 'R1', 'R2', 'R3', 'R4', 'S51']);
    });

    it('writes every channel with a process every five minutes for 30 days, and nothing for the spare input', async () => {
      for (const controller of await store.listControllers(PLATFORM_SCOPE)) {
        const spec = catalogController(controller.serialNumber)!;
        for (const channel of await store.listChannels(PLATFORM_SCOPE, { controllerId: controller.id })) {
          const count = await store.countReadings(PLATFORM_SCOPE, channel.id);
          if (channel.processId === null) {
            expect(count, `${controller.serialNumber} ${channel.number}`).toBe(0);
            continue;
          }
          expect(count, `${controller.serialNumber} ${channel.number}`).toBe(30 * 288 + 1);
          const signal = channelsOf(spec).find(({ channel: c }) => c.number === channel.number)!.channel.signal;
          expect(channel.latestTime).toBe(LAST_STEP);
          expect(channel.latestValue).toBe(valueAt(signal, LAST_STEP));
        }
        expect(controller.lastSeenAt).toBe(NOW);
      }
      const spare = (await store.listChannels(PLATFORM_SCOPE)).filter((c) => c.processId === null);
      expect(spare.map((c) => c.number)).toEqual(['S51']);
    });

    it('stores readings on the five-minute grid with the signal values', async () => {
      const s11 = (await store.listChannels(PLATFORM_SCOPE)).find((c) => c.number === 'S11')!;
      const controller = (await store.getController(PLATFORM_SCOPE, s11.controllerId))!;
      const signal = channelsOf(catalogController(controller.serialNumber)!).find(({ channel }) => channel.number === 'S11')!.channel.signal;
      const readings = await store.listReadings(PLATFORM_SCOPE, { channelId: s11.id, order: 'asc', limit: 50 });
      expect(readings[0]!.time).toBe(LAST_STEP - 30 * 24 * 3600 * 1000);
      for (const r of readings) {
        expect(r.time % HISTORY_STEP_MS).toBe(0);
        expect(r.value).toBe(valueAt(signal, r.time));
      }
    });

    it('raises and clears controller alarms, with at least one still active', async () => {
      const alarms = await store.listAlarms(PLATFORM_SCOPE, { limit: 10_000 });
      expect(alarms.length).toBeGreaterThan(20);
      expect(alarms.filter((a) => a.clearedAt === null).length).toBeGreaterThanOrEqual(1);
      for (const a of alarms) {
        expect(a.type).toBe('controller-alarm');
        expect(Number.isInteger(a.code)).toBe(true);
        if (a.clearedAt !== null) expect(a.clearedAt).toBeGreaterThan(a.raisedAt);
        expect(a.raisedAt).toBeLessThanOrEqual(NOW);
      }
      const messages = new Set(alarms.map((a) => a.message));
      expect(messages).toContain('High Conductivity');
      expect(messages).toContain('Low pH');
    });

    it('reports progress per chunk of at most 10,000 readings', () => {
      expect(progress.length).toBeGreaterThan(30);
      let previous = 0;
      for (const [done, total] of progress) {
        expect(done - previous).toBeGreaterThan(0);
        expect(done - previous).toBeLessThanOrEqual(HISTORY_CHUNK_READINGS);
        expect(total).toBe(progress[0]![1]);
        previous = done;
      }
      expect(previous).toBe(progress[0]![1]);
    });

    it('refuses to seed twice', async () => {
      await expect(seedDemo(store, { clock, days: 1 })).rejects.toThrow(DemoAlreadySeededError);
    });
  });

  describe.skipIf(factory.skipReason !== null)(`${factory.name}: ensureDemo`, () => {
    const clock = manualClock(NOW);
    let store: TestStore;
    let drop: () => Promise<void>;
    let dir: string;
    let file: string;

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: clock.now }));
      dir = mkdtempSync(join(tmpdir(), 'flowline-demo-'));
      file = join(dir, 'nested', 'demo-credentials.json');
    });
    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      await drop?.();
    });

    let first: DemoCredentials;

    it('seeds an empty database and writes the credentials, readable by the owner only', async () => {
      const result = await ensureDemo(store, { clock, days: 1, file });
      expect(result.seeded).toBe(true);
      expect(result.reissued).toBeNull();
      first = result.credentials;
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(await loginWorks(store, first.admin)).toBe(true);
    });

    it('reuses the credentials on the next start', async () => {
      const result = await ensureDemo(store, { clock, days: 1, file });
      expect(result).toEqual({ credentials: first, seeded: false, reissued: null });
      expect(await store.listCustomers(PLATFORM_SCOPE)).toHaveLength(2);
    });

    it('issues fresh credentials when the file is gone, and the old ones stop working', async () => {
      rmSync(file);
      const result = await ensureDemo(store, { clock, days: 1, file });
      expect(result.seeded).toBe(false);
      expect(result.reissued).toBe('file-missing');
      const fresh = result.credentials;
      expect(fresh.admin.username).toBe(first.admin.username);
      expect(fresh.admin.token).not.toBe(first.admin.token);
      expect(fresh.admin.password).not.toBe(first.admin.password);
      expect(existsSync(file)).toBe(true);
      expect(await loginWorks(store, fresh.admin)).toBe(true);
      expect(await loginWorks(store, fresh.otherCustomerUser)).toBe(true);
      expect(await keysWork(store, fresh)).toBe(true);
      expect(await loginWorks(store, first.admin)).toBe(false);
      expect(await keysWork(store, first)).toBe(false);
      expect(fresh.controllers.map((c) => c.serialNumber).sort()).toEqual(first.controllers.map((c) => c.serialNumber).sort());
      expect(fresh.controllers.find((c) => c.serialNumber === '1903291361')!.channels).toEqual(first.controllers.find((c) => c.serialNumber === '1903291361')!.channels);
      first = fresh;
    });

    it('fills the gap since the last run, as devices resend what they buffered', async () => {
      const channels = (await store.listChannels(PLATFORM_SCOPE)).filter((c) => c.processId !== null);
      const before = await Promise.all(channels.map((c) => store.countReadings(PLATFORM_SCOPE, c.id)));
      const alarmsBefore = await store.listAlarms(PLATFORM_SCOPE, { limit: 10_000 });
      clock.set(NOW + 3 * 24 * 3600 * 1000);
      const result = await ensureDemo(store, { clock, days: 1, file });
      expect(result).toEqual({ credentials: first, seeded: false, reissued: null });
      const after = await Promise.all(channels.map((c) => store.countReadings(PLATFORM_SCOPE, c.id)));
      // Capped at `days`: one day of five-minute steps.
      after.forEach((n, i) => expect(n - before[i]!).toBe(288));
      const latest = await store.getChannel(PLATFORM_SCOPE, channels[0]!.id);
      expect(latest!.latestTime).toBe(LAST_STEP + 3 * 24 * 3600 * 1000);
      const alarmsAfter = await store.listAlarms(PLATFORM_SCOPE, { limit: 10_000 });
      expect(alarmsAfter.length).toBeGreaterThan(alarmsBefore.length);
      // A second start at the same instant has nothing to add.
      await ensureDemo(store, { clock, days: 1, file });
      expect(await Promise.all(channels.map((c) => store.countReadings(PLATFORM_SCOPE, c.id)))).toEqual(after);
      expect(await store.listAlarms(PLATFORM_SCOPE, { limit: 10_000 })).toEqual(alarmsAfter);
    });

    it('issues fresh credentials when the file no longer matches the database', async () => {
      writeFileSync(file, JSON.stringify({ ...first, admin: { ...first.admin, token: 'revoked' } }));
      const stale = await ensureDemo(store, { clock, days: 1, file });
      expect(stale.reissued).toBe('file-stale');
      expect(stale.credentials.admin.token).not.toBe(first.admin.token);
      expect(await loginWorks(store, stale.credentials.admin)).toBe(true);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(stale.credentials);
    });

    it('refuses a file that is not demo credentials, and leaves it as it was', async () => {
      for (const [text, problem] of [
        ['not json', 'not-json'],
        ['{"name": "flowline", "version": "0.1.0"}', 'not-credentials'],
      ] as const) {
        writeFileSync(file, text);
        const refused = await ensureDemo(store, { clock, days: 1, file }).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(DemoCredentialsFileError);
        expect(refused).toMatchObject({ file, problem });
        expect(readFileSync(file, 'utf8')).toBe(text);
      }
    });
  });
}
