import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerScope, PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { parseFilter } from '../../src/fluxx/filter.js';
import { MODEL_TYPES, MODELS } from '../../src/domain/models.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';

/** The Fluxx face's generic reads never leave the caller's customer, for every model. */

const NOW = Date.parse('2026-11-25T15:30:00Z');

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: record queries`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let a: TenantFixture;
    let b: TenantFixture;

    async function populate(t: TenantFixture, value: number) {
      await store.ingest(
        t.controller.id,
        {
          readings: [0, 1, 2].map((i) => ({ channelId: t.channels.s11.id, time: NOW - i * 60_000, value: value + i })),
          alarms: [{ action: 'raise', channelId: t.channels.s11.id, code: 7, type: 'controller-alarm', severity: 'warning', message: `${t.customer.name} alarm`, time: NOW }],
        },
        NOW,
      );
      for (const kind of ['fluent', 'flowcommand'] as const) {
        await store.createWebhookEndpoint(PLATFORM_SCOPE, { customerId: t.customer.id, kind, url: `https://hooks.example.com/${t.customer.name}/${kind}`, secretCiphertext: 'v1.x', eventTypes: ['alarm'] });
      }
    }

    beforeAll(async () => {
      ({ store, drop } = await factory.create({ now: () => NOW }));
      await store.migrate();
      a = await createTenant(store, 'Acme');
      b = await createTenant(store, 'Bolt');
      await populate(a, 10);
      await populate(b, 90);
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    const all = async (scope: ReturnType<typeof customerScope>, type: (typeof MODEL_TYPES)[number]) =>
      store.queryRecords(scope, { model: MODELS[type], fields: MODELS[type].fields, sort: [], limit: 1000, offset: 0 }, NOW);

    for (const type of MODEL_TYPES) {
      it(`${type}: each customer sees its own rows only, and another's id is not found`, async () => {
        const everything = await all(PLATFORM_SCOPE, type);
        expect(everything.rows.length, `${type} has rows for the test`).toBeGreaterThanOrEqual(2);
        const mineA = await all(customerScope(a.customer.id), type);
        const mineB = await all(customerScope(b.customer.id), type);
        expect(mineA.rows.length + mineB.rows.length).toBe(everything.rows.length);
        expect(mineA.total).toBe(mineA.rows.length);
        const idsB = new Set(mineB.rows.map((r) => r.id));
        expect(mineA.rows.some((r) => idsB.has(r.id))).toBe(false);
        for (const row of mineB.rows.slice(0, 3)) {
          const one = await store.queryRecords(customerScope(a.customer.id), { model: MODELS[type], fields: [], sort: [], limit: 1, offset: 0, id: row.id as number }, NOW);
          expect(one.rows).toEqual([]);
        }
        // A cross-model filter cannot reach into the other customer either.
        const parent = MODELS[type].fields.find((f) => f.references === 'customer');
        if (parent) {
          const filter = parseFilter(MODELS[type], { group_type: 'and', conditions: [[parent.name, 'filter', { group_type: 'and', conditions: [['name', 'eq', 'Bolt']] }]] });
          expect((await store.queryRecords(customerScope(a.customer.id), { model: MODELS[type], fields: [], filter, sort: [], limit: 10, offset: 0 }, NOW)).rows).toEqual([]);
        }
      });
    }

    it('returns the chosen fields under their names, sorted and paged, and searches text', async () => {
      const scope = customerScope(a.customer.id);
      const readings = await store.queryRecords(scope, { model: MODELS.reading, fields: [MODELS.reading.fields.find((f) => f.name === 'value')!], sort: [{ field: MODELS.reading.fields.find((f) => f.name === 'time')!, direction: 'desc' }], limit: 2, offset: 1 }, NOW);
      expect(readings.total).toBe(3);
      expect(readings.rows.map((r) => Object.keys(r).sort())).toEqual([['id', 'value'], ['id', 'value']]);
      expect(readings.rows.map((r) => r.value)).toEqual([11, 12]);
      const found = await store.queryRecords(scope, { model: MODELS.alarm, fields: MODELS.alarm.fields, search: 'ACME AL', sort: [], limit: 10, offset: 0 }, NOW);
      expect(found.rows.map((r) => r.message)).toEqual(['Acme alarm']);
    });
  });
}
