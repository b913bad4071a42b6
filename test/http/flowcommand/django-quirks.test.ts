import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../../helpers/app.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import { at, createFlowSensor, createFlowTenant, FC, HOUR, storePings, tokenAuth, type FlowSensorFixture, type FlowTenant } from './fixtures.js';

/** Behaviour FlowCommand clients get from Django that is easy to miss. */
for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: FlowCommand Django behaviour`, () => {
    let app: FastifyInstance;
    let store: TestStore;
    let drop: () => Promise<void>;
    let t: FlowTenant;
    let sensor: FlowSensorFixture;
    const T0 = at('2026-05-01T00:00:00Z');

    beforeAll(async () => {
      const created = await factory.create();
      ({ store, drop } = created);
      t = await createFlowTenant(store, 'Quirks');
      sensor = await createFlowSensor(store, t.field, { name: 'Quirky Meter' });
      // 1000 bbl/day for 24 hours, hourly pings, then 1,500 one-minute pings (two pages).
      await storePings(store, sensor, [
        ...Array.from({ length: 25 }, (_, i) => [T0 + i * HOUR, 1000] as const),
        ...Array.from({ length: 1500 }, (_, i) => [T0 + 25 * HOUR + i * 60_000, 5] as const),
      ]);
      app = await buildTestApp(store);
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('a repeated query parameter counts with its last value, as request.query_params.get does', async () => {
      const url = `${FC}/flow_sensors/${sensor.controller.id}/pings/?page=1&page=2`;
      const res = await app.inject({ url, headers: tokenAuth(t) });
      expect(res.statusCode).toBe(200);
      expect(res.json().previous).toMatch(/\/pings\/$/);
      expect(res.json().results).toHaveLength(1525 - 1000);

      const filtered = await app.inject({
        url: `${FC}/flow_sensors/${sensor.controller.id}/pings/?start=2000-01-01T00:00:00Z&start=2026-05-01T23:00:00Z&end=2026-05-02T00:00:00Z`,
        headers: tokenAuth(t),
      });
      expect(filtered.json().count).toBe(2);
    });

    it('a whole number of barrels reads as that number, without floating-point noise', async () => {
      const res = await app.inject({
        url: `${FC}/flow_sensors/${sensor.controller.id}/flow_volume/2026-05-01T00:00:00Z/2026-05-02T00:00:00Z/`,
        headers: tokenAuth(t),
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('"flow_volume":1000,');
    });

    it('a page answered before is not served stale: new and late pings show at once', async () => {
      const url = `${FC}/flow_sensors/${sensor.controller.id}/pings/`;
      const first = (await app.inject({ url, headers: tokenAuth(t) })).json();
      const newest = T0 + 26 * HOUR + 1500 * 60_000;
      await storePings(store, sensor, [[newest, 42]]);
      const second = (await app.inject({ url, headers: tokenAuth(t) })).json();
      expect(second.count).toBe(first.count + 1);
      expect(second.results[0]).toMatchObject({ flowrate: 42, datetime: new Date(newest).toISOString().replace('.000Z', 'Z') });
      expect(second.results.slice(1)).toEqual(first.results.slice(0, 999));

      // A late ping inside the filtered range changes that filtered page too.
      const filtered = `${url}?start=2026-05-01T03:00:00Z&end=2026-05-01T05:00:00Z`;
      expect((await app.inject({ url: filtered, headers: tokenAuth(t) })).json().count).toBe(3);
      await storePings(store, sensor, [[T0 + 3.5 * HOUR, 7]]);
      const late = (await app.inject({ url: filtered, headers: tokenAuth(t) })).json();
      expect(late.results.map((r: { flowrate: number }) => r.flowrate)).toEqual([1000, 1000, 7, 1000]);
    });

    it('malformed URLs under /api/v1 answer in the detail envelope', async () => {
      const res = await app.inject({ url: `${FC}/flow_sensors/%/pings/`, headers: tokenAuth(t) });
      expect(res.statusCode).toBe(400);
      expect(Object.keys(res.json())).toEqual(['detail']);
    });
  });
}
