import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerScope, PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { T2026, MINUTE, readingsAt } from './contract-helpers.js';

/** The read methods behind volumes and ping pages keep tenants apart like every other read. */
for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: tenant scope of readings windows and flow rollups`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    const flow = new Map<TenantFixture, number>();
    let A: TenantFixture;
    let B: TenantFixture;

    beforeAll(async () => {
      ({ store, drop } = await factory.create());
      A = await createTenant(store, 'Acme');
      B = await createTenant(store, 'Beta');
      for (const t of [A, B]) {
        const channel = await store.createChannel(PLATFORM_SCOPE, {
          controllerId: t.controller.id,
          processId: t.process.id,
          number: 'S7',
          name: 'Flow',
          kind: 'input',
          type: 'flowrate',
          unit: 'bbl/day',
        });
        await store.ingest(t.controller.id, { readings: readingsAt(channel.id, [T2026, T2026 + 60 * MINUTE], [1000, 1000]), alarms: [] }, T2026 + 61 * MINUTE);
        flow.set(t, channel.id);
      }
    });
    afterAll(async () => {
      await drop?.();
    });

    it('the other tenant’s channel answers empty; one’s own does not', async () => {
      const from = T2026 - 24 * 60 * MINUTE;
      const to = T2026 + 48 * 60 * MINUTE;
      for (const [self, other] of [
        [A, B],
        [B, A],
      ] as const) {
        const scope = customerScope(self.customer.id);
        const theirs = flow.get(other)!;
        const mine = flow.get(self)!;
        expect(await store.pingWindow(scope, theirs, from, to)).toEqual([]);
        expect(await store.countReadingsBetween(scope, theirs, from, to)).toBe(0);
        expect(await store.sumFlowBuckets(scope, theirs, 'hour', from, to)).toEqual({ volume: 0, pings: 0 });
        expect(await store.sumFlowBuckets(scope, theirs, 'day', from, to)).toEqual({ volume: 0, pings: 0 });
        expect(await store.listFlowHours(scope, theirs, from, to)).toEqual([]);
        expect(await store.listReadings(scope, { channelId: theirs, order: 'desc', limit: 10, offset: 0 })).toEqual([]);

        expect(await store.pingWindow(scope, mine, from, to)).toHaveLength(2);
        expect(await store.countReadingsBetween(scope, mine, from, to)).toBe(2);
        expect((await store.sumFlowBuckets(scope, mine, 'day', from, to)).pings).toBe(2);
        expect((await store.sumFlowBuckets(scope, mine, 'hour', from, to)).volume).toBeCloseTo(1000 / 24, 9);
        expect(await store.listFlowHours(scope, mine, from, to)).toHaveLength(2);
        expect(await store.listReadings(scope, { channelId: mine, order: 'desc', limit: 10, offset: 0 })).toHaveLength(2);
      }
    });
  });
}
