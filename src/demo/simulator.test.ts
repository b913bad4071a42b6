import type { FastifyInstance } from 'fastify';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, manualClock } from '../../test/helpers/app.js';
import { storeFactories, type TestStore } from '../../test/helpers/stores.js';
import { PLATFORM_SCOPE } from '../domain/scope.js';
import type { Channel } from '../domain/types.js';
import { catalogController, signalFor } from './catalog.js';
import { seedDemo, type DemoCredentials } from './seed.js';
import { describeSummary, startSimulator, type SimulatorSummary } from './simulator.js';
import { episodeAt, episodesBetween, HOUR_MS, MINUTE_MS, valueAt } from './signals.js';

const NOW = Date.parse('2026-11-24T08:03:27.512Z');
const TOWER = '1903291361';

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: demo simulator through the ingest API`, () => {
    const clock = manualClock(NOW);
    let store: TestStore;
    let drop: () => Promise<void>;
    let app: FastifyInstance;
    let baseUrl: string;
    let credentials: DemoCredentials;

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: clock.now }));
      credentials = await seedDemo(store, { clock, days: 1 });
      app = await buildTestApp(store, clock);
      baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    async function towerChannels(): Promise<Channel[]> {
      const tower = await store.getControllerBySerial(PLATFORM_SCOPE, TOWER);
      return store.listChannels(PLATFORM_SCOPE, { controllerId: tower!.id });
    }

    async function totalReadings(): Promise<number> {
      let total = 0;
      for (const channel of await store.listChannels(PLATFORM_SCOPE)) total += await store.countReadings(PLATFORM_SCOPE, channel.id);
      return total;
    }

    it('posts one reading per channel at the current second, the spare one answered as not stored', async () => {
      const before = await totalReadings();
      const logs: string[] = [];
      const errors: unknown[] = [];
      clock.set(NOW + 10_500);
      const simulator = startSimulator({ baseUrl, controllers: credentials.controllers, intervalMs: HOUR_MS, clock, log: (m) => logs.push(m), onError: (e) => errors.push(e) });
      await simulator.tick();
      await simulator.tick();
      await simulator.stop();

      expect(errors).toEqual([]);
      const stored = credentials.controllers.reduce((n, c) => n + c.channels.length, 0) - 1;
      expect(await totalReadings()).toBe(before + stored);
      const second = Math.floor((NOW + 10_500) / 1000) * 1000;
      for (const channel of await towerChannels()) {
        if (channel.processId === null) {
          expect(channel.latestValue).toBeNull();
          continue;
        }
        expect(channel.latestTime).toBe(second);
        expect(channel.latestValue).toBe(valueAt(signalFor(TOWER, channel.number, channel.type), second));
      }
      const tower = await store.getControllerBySerial(PLATFORM_SCOPE, TOWER);
      expect(tower!.lastSeenAt).toBe(NOW + 10_500);
      // Reported once, not on every batch.
      expect(logs.filter((m) => m.includes('S51') && m.includes('not stored'))).toHaveLength(1);
      expect(logs.some((m) => /readings stored/.test(m))).toBe(true);
    });

    it('raises an alarm when an excursion starts and clears it when it ends', async () => {
      const spec = catalogController(TOWER)!.alarms.find((a) => a.code === 12)!;
      const excursion = episodesBetween(spec.schedule, NOW + HOUR_MS, NOW + 60 * 24 * HOUR_MS)[0]!;
      const tower = (await store.getControllerBySerial(PLATFORM_SCOPE, TOWER))!;
      const highConductivity = async () => (await store.listAlarms(PLATFORM_SCOPE, { controllerId: tower.id, limit: 1000 })).find((a) => a.code === 12 && a.raisedAt === excursion.start);

      const simulator = startSimulator({ baseUrl, controllers: credentials.controllers, intervalMs: HOUR_MS, clock, onError: (e) => expect.fail(String(e)) });
      clock.set(excursion.start - 10 * MINUTE_MS);
      await simulator.tick();
      expect(await highConductivity()).toBeUndefined();

      clock.set(excursion.start + MINUTE_MS);
      await simulator.tick();
      expect(await highConductivity()).toMatchObject({ clearedAt: null, message: 'High Conductivity', severity: 'warning', type: 'controller-alarm' });
      const s11 = (await towerChannels()).find((c) => c.number === 'S11')!;
      expect(s11.latestValue).toBeGreaterThan(3000);

      clock.set(excursion.end + 2 * MINUTE_MS);
      await simulator.tick();
      await simulator.stop();
      expect((await highConductivity())?.clearedAt).toBe(excursion.end);
    });

    it('on its first batch, states each alarm as it is now: a restart after an excursion ended clears it', async () => {
      const spec = catalogController(TOWER)!.alarms.find((a) => a.code === 21)!;
      // An excursion followed by a quiet half hour, so the restart falls outside any excursion.
      const excursion = episodesBetween(spec.schedule, NOW + 70 * 24 * HOUR_MS, NOW + 400 * 24 * HOUR_MS).find((e) => episodeAt(spec.schedule, e.end + 30 * MINUTE_MS) === null)!;
      const tower = (await store.getControllerBySerial(PLATFORM_SCOPE, TOWER))!;
      const lowPh = async () => (await store.listAlarms(PLATFORM_SCOPE, { controllerId: tower.id, limit: 1000 })).find((a) => a.code === 21 && a.raisedAt === excursion.start);

      // A simulator stopped mid-excursion leaves the alarm active...
      clock.set(excursion.start + MINUTE_MS);
      const before = startSimulator({ baseUrl, controllers: credentials.controllers, intervalMs: HOUR_MS, clock });
      await before.tick();
      await before.stop();
      expect((await lowPh())?.clearedAt).toBeNull();

      // ...and the next one clears it, dated at the excursion's real end.
      clock.set(excursion.end + 30 * MINUTE_MS);
      const after = startSimulator({ baseUrl, controllers: credentials.controllers, intervalMs: HOUR_MS, clock });
      await after.tick();
      await after.stop();
      expect((await lowPh())?.clearedAt).toBe(excursion.end);
    });

    it('reports failures through onError and keeps going', async () => {
      const errors: unknown[] = [];
      const bogus = credentials.controllers.map((c) => ({ ...c, ingestKey: 'flik_not-a-real-key' }));
      const simulator = startSimulator({ baseUrl, controllers: bogus.slice(0, 2), intervalMs: HOUR_MS, clock, onError: (e) => errors.push(e) });
      await expect(simulator.tick()).resolves.toBeUndefined();
      await simulator.stop();
      expect(errors).toHaveLength(2);
      expect(String(errors[0])).toMatch(/401/);

      const unreachable = startSimulator({ baseUrl: 'http://127.0.0.1:1', controllers: credentials.controllers.slice(0, 1), intervalMs: HOUR_MS, clock, onError: (e) => errors.push(e) });
      await expect(unreachable.tick()).resolves.toBeUndefined();
      await unreachable.stop();
      expect(errors).toHaveLength(3);

      const throwingReporter = startSimulator({ baseUrl: 'http://127.0.0.1:1', controllers: credentials.controllers.slice(0, 1), intervalMs: HOUR_MS, clock, onError: () => { throw new Error('reporter broke'); } });
      await expect(throwingReporter.tick()).resolves.toBeUndefined();
      await throwingReporter.stop();
    });

    it('summarises after the first round, then once per period and at stop: not a line per batch', async () => {
      const controllers = credentials.controllers.filter((c) => c.serialNumber === TOWER);
      let t = NOW + 300 * 24 * HOUR_MS;
      const ticking = {
        now: () => {
          t += 1000;
          clock.set(t);
          return t;
        },
      };
      const summaries: SimulatorSummary[] = [];
      const logs: string[] = [];
      const simulator = startSimulator({ baseUrl, controllers, intervalMs: 25, summaryEveryMs: 300, clock: ticking, log: (m) => logs.push(m), onSummary: (s) => summaries.push(s) });
      const deadline = Date.now() + 10_000;
      while (summaries.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await simulator.stop();

      expect(summaries[0]).toMatchObject({ rounds: 1, batchesSent: 1, batchesFailed: 0, readingsStored: 9, lastFailure: null });
      const rounds = summaries.reduce((n, s) => n + s.rounds, 0);
      // Many rounds, few lines: the periodic summaries each cover several rounds.
      expect(summaries.slice(1, -1).every((s) => s.rounds > 1)).toBe(true);
      expect(summaries.length).toBeLessThan(rounds);
      expect(summaries.reduce((n, s) => n + s.batchesSent, 0)).toBe(rounds);
      expect(summaries.reduce((n, s) => n + s.readingsStored, 0)).toBe(rounds * 9);
      // Besides summaries, only the one notice about the spare channel that is not stored.
      expect(logs.every((m) => m.includes('not stored'))).toBe(true);
      expect(describeSummary(summaries[0]!)).toMatch(/^simulator, last \d+ s: 1 batches sent, 0 failed; 9 readings stored; alarms \d+ raised, \d+ cleared$/);
    });

    it('counts failed batches in the summary with the last reason', async () => {
      const bogus = credentials.controllers.slice(0, 2).map((c) => ({ ...c, ingestKey: 'flik_not-a-real-key' }));
      const summaries: SimulatorSummary[] = [];
      const simulator = startSimulator({ baseUrl, controllers: bogus, intervalMs: HOUR_MS, clock, onSummary: (s) => summaries.push(s) });
      await simulator.tick();
      await simulator.stop();
      expect(summaries).toHaveLength(1);
      expect(summaries[0]).toMatchObject({ rounds: 1, batchesSent: 0, batchesFailed: 2, readingsStored: 0 });
      expect(summaries[0]!.lastFailure).toMatch(/answered 401/);
      expect(describeSummary(summaries[0]!)).toContain('2 failed (last: ingest for controller');

      // A port just freed, so nothing listens there (fetch refuses port 1 itself, as a "bad port").
      const vacated = createServer();
      await new Promise<void>((resolve) => vacated.listen(0, '127.0.0.1', resolve));
      const port = (vacated.address() as AddressInfo).port;
      await new Promise((resolve) => vacated.close(resolve));
      const unreachable = startSimulator({ baseUrl: `http://127.0.0.1:${port}`, controllers: credentials.controllers.slice(0, 1), intervalMs: HOUR_MS, clock, onSummary: (s) => summaries.push(s) });
      await unreachable.tick();
      await unreachable.stop();
      // fetch says only "fetch failed"; the reason is in its cause.
      expect(summaries[1]!.lastFailure).toMatch(/fetch failed: .*ECONNREFUSED/);
    });

    it('feeds on its own every interval until stopped, and stop waits for the batch in flight', async () => {
      const controllers = credentials.controllers.filter((c) => c.serialNumber === TOWER);
      const tower = (await store.getControllerBySerial(PLATFORM_SCOPE, TOWER))!;
      const s11 = (await towerChannels()).find((c) => c.number === 'S11')!;
      let t = NOW + 500 * 24 * HOUR_MS;
      // Each batch at its own second, so none is a duplicate; the server shares the time.
      const ticking = {
        now: () => {
          t += 1000;
          clock.set(t);
          return t;
        },
      };
      const count = () => store.countReadings(PLATFORM_SCOPE, s11.id);
      const before = await count();
      const simulator = startSimulator({ baseUrl, controllers, intervalMs: 30, clock: ticking });
      const deadline = Date.now() + 5000;
      while ((await count()) < before + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await simulator.stop();
      const afterStop = await count();
      expect(afterStop).toBeGreaterThanOrEqual(before + 3);
      await new Promise((r) => setTimeout(r, 150));
      expect(await count()).toBe(afterStop);

      const manual = startSimulator({ baseUrl, controllers, intervalMs: HOUR_MS, clock: ticking });
      void manual.tick();
      await manual.stop();
      expect(await count()).toBe(afterStop + 1);
      expect((await store.getController(PLATFORM_SCOPE, tower.id))!.lastSeenAt).not.toBeNull();
    });
  });
}
