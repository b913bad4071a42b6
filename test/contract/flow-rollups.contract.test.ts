import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPings, flowVolume, flowVolumeHours, type FlowSensor } from '../../src/domain/flow-sensors.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import type { IngestAlarmEvent, IngestBatch, IngestReading } from '../../src/store/store.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { createPlant, MINUTE, readingsAt, rejectionOf } from './contract-helpers.js';
import {
  canonical,
  createResolvedFlowSensor,
  DAY,
  expectNear,
  expectSameRollups,
  HOUR,
  referenceVolume,
  rollupRows,
  toReadings,
  type FlowPlant,
  type RefPing,
} from './flow-helpers.js';

/**
 * Flow rollups (flow_hours, flow_days), kept by KyselyStore.ingest for `flowrate` channels,
 * and the volume queries built on them: deterministic examples on both stores. The random
 * counterpart is flow-volume.property.test.ts.
 */

const P = PLATFORM_SCOPE;
/** A Sunday midnight UTC in the SPEC's era. */
const T0 = Date.parse('2026-03-01T00:00:00Z');

function batch(readings: IngestReading[], alarms: IngestAlarmEvent[] = []): IngestBatch {
  return { readings, alarms };
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: flow rollups`, () => {
    // One database for the suite; every test works on sensors of its own.
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
    });
    afterAll(async () => {
      await drop?.();
    });

    let sensors = 0;
    const newSensor = () => createResolvedFlowSensor(store, `Flow ${factory.name} ${++sensors}`);
    const ingest = (plant: FlowPlant, pings: RefPing[], alarms: IngestAlarmEvent[] = []) =>
      store.ingest(plant.controller.id, batch(toReadings(plant.channel.id, pings), alarms), T0 + 10 * DAY);
    const allHours = async (sensor: FlowSensor, from: number, to: number) => flowVolumeHours(store, P, sensor, from, to, 0, 100_000);

    it('finds the flowrate channel of a flow sensor', async () => {
      const { sensor, channel, controller } = await newSensor();
      expect(sensor.controller.id).toBe(controller.id);
      expect(sensor.channel?.id).toBe(channel.id);
    });

    it('a single ping: volume 0 everywhere, one flow_hours and one flow_days row with ping_count 1', async () => {
      const plant = await newSensor();
      const t = T0 + 5 * HOUR + 17 * MINUTE;
      const outcome = await ingest(plant, [{ time: t, rate: 4321 }]);
      expect(outcome.stored).toHaveLength(1);

      const rollups = await rollupRows(store, plant.channel.id);
      expect(rollups.hours).toEqual([{ start: T0 + 5 * HOUR, volume: 0, pings: 1 }]);
      expect(rollups.days).toEqual([{ start: T0, volume: 0, pings: 1 }]);

      for (const [from, to] of [
        [T0, T0 + DAY],
        [t, t + 1],
        [t - HOUR, t + HOUR],
        [T0 - 30 * DAY, T0 + 30 * DAY],
      ] as const) {
        expect(await flowVolume(store, P, plant.sensor, from, to)).toBe(0);
      }
      const hours = await allHours(plant.sensor, T0, T0 + DAY);
      expect(hours).toHaveLength(24);
      expect(hours.every((h) => h.volume === 0)).toBe(true);
      expect(await countPings(store, P, plant.sensor, {})).toBe(1);
      expect(await countPings(store, P, plant.sensor, { start: t, end: t })).toBe(1);
      expect(await countPings(store, P, plant.sensor, { start: t + 1 })).toBe(0);
      expect(await countPings(store, P, plant.sensor, { end: t - 1 })).toBe(0);
    });

    it('two pings one hour apart at 1000 bbl/day hold 1000/24 bbl', async () => {
      const plant = await newSensor();
      const t = T0 + 7 * HOUR;
      await ingest(plant, [
        { time: t, rate: 1000 },
        { time: t + HOUR, rate: 1000 },
      ]);
      const { sensor } = plant;
      expectNear(await flowVolume(store, P, sensor, t, t + HOUR), 1000 / 24, 'the hour itself');
      expectNear(await flowVolume(store, P, sensor, T0, T0 + DAY), 1000 / 24, 'the whole day');
      expectNear(await flowVolume(store, P, sensor, T0 - DAY, T0 + 2 * DAY), 1000 / 24, 'three days around it');
      expectNear(await flowVolume(store, P, sensor, t + 15 * MINUTE, t + 45 * MINUTE), 500 / 24, 'the middle half hour');
      expect(await flowVolume(store, P, sensor, t + HOUR, t + 2 * HOUR)).toBe(0);
      expect(await flowVolume(store, P, sensor, t - HOUR, t)).toBe(0);

      const rollups = await rollupRows(store, plant.channel.id);
      expectSameRollups(
        rollups.hours,
        [
          { start: t, volume: 1000 / 24, pings: 1 },
          { start: t + HOUR, volume: 0, pings: 1 },
        ],
        'flow_hours',
      );
      expectSameRollups(rollups.days, [{ start: T0, volume: 1000 / 24, pings: 2 }], 'flow_days');

      // Newest first, clipped to the range.
      const hours = await allHours(sensor, t - 30 * MINUTE, t + 90 * MINUTE);
      expect(hours.map((h) => [h.start - T0, h.end - T0])).toEqual([
        [8 * HOUR, 8 * HOUR + 30 * MINUTE],
        [7 * HOUR, 8 * HOUR],
        [6 * HOUR + 30 * MINUTE, 7 * HOUR],
      ]);
      expect(hours[0]!.volume).toBe(0);
      expectNear(hours[1]!.volume, 1000 / 24, 'the whole hour row');
      expect(hours[2]!.volume).toBe(0);
    });

    it('rolls up flowrate channels only: a conductivity channel, even in the same batch, gets no rows', async () => {
      const plant = await createPlant(store, `Cond ${factory.name}`);
      const times = [T0, T0 + HOUR, T0 + 2 * HOUR];
      await store.ingest(plant.controller.id, batch(readingsAt(plant.s11.id, times, [1500, 1600, 1700])), T0 + DAY);
      expect(await rollupRows(store, plant.s11.id)).toEqual({ hours: [], days: [] });

      // A controller with a flowrate input next to a conductivity input: one batch, both kinds.
      const flow = await store.createChannel(P, { controllerId: plant.controller.id, processId: plant.process.id, number: 'S20', name: 'Flow', kind: 'input', type: 'flowrate' });
      await store.ingest(
        plant.controller.id,
        batch([...readingsAt(plant.s12.id, times, [7, 7.1, 7.2]), ...readingsAt(flow.id, times, [2400, 2400, 2400]), ...readingsAt(plant.s11.id, [T0 + 3 * HOUR], [1800])]),
        T0 + DAY,
      );
      expect(await rollupRows(store, plant.s11.id)).toEqual({ hours: [], days: [] });
      expect(await rollupRows(store, plant.s12.id)).toEqual({ hours: [], days: [] });
      const rollups = await rollupRows(store, flow.id);
      expectSameRollups(
        rollups.hours,
        [
          { start: T0, volume: 100, pings: 1 },
          { start: T0 + HOUR, volume: 100, pings: 1 },
          { start: T0 + 2 * HOUR, volume: 0, pings: 1 },
        ],
        'flow_hours',
      );
      expectSameRollups(rollups.days, [{ start: T0, volume: 200, pings: 3 }], 'flow_days');
    });

    it('keeps two flowrate channels of one controller apart', async () => {
      const plant = await newSensor();
      const second = await store.createChannel(P, { controllerId: plant.controller.id, processId: plant.process.id, number: 'S2', name: 'Flow 2', kind: 'input', type: 'flowrate' });
      const a = [0, 1, 2].map((i) => ({ channelId: plant.channel.id, time: T0 + i * HOUR, value: 240 }));
      const b = [0, 2].map((i) => ({ channelId: second.id, time: T0 + i * HOUR + 30 * MINUTE, value: 4800 }));
      await store.ingest(plant.controller.id, batch([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!]), T0 + DAY);
      const ra = await rollupRows(store, plant.channel.id);
      const rb = await rollupRows(store, second.id);
      expectSameRollups(ra.days, [{ start: T0, volume: 20, pings: 3 }], 'first channel');
      expectSameRollups(
        rb.hours,
        [
          { start: T0, volume: 100, pings: 1 },
          { start: T0 + HOUR, volume: 200, pings: 0 },
          { start: T0 + 2 * HOUR, volume: 100, pings: 1 },
        ],
        'second channel',
      );
    });

    it('three days of one-minute pings: 72 hour rows of 60 pings and 3 day rows of 1440', async () => {
      const plant = await newSensor();
      // 1440 bbl/day is one barrel a minute.
      const series = Array.from({ length: 3 * 1440 }, (_, i) => ({ time: T0 + i * MINUTE, rate: 1440 }));
      const outcome = await ingest(plant, series);
      expect(outcome.stored).toHaveLength(series.length);

      const { hours, days } = await rollupRows(store, plant.channel.id);
      expect(hours).toHaveLength(72);
      expect(hours.map((h) => h.start)).toEqual(Array.from({ length: 72 }, (_, i) => T0 + i * HOUR));
      expect(hours.every((h) => h.pings === 60)).toBe(true);
      // Every hour holds 60 one-barrel minutes but the last, which ends with the last ping at 71:59.
      hours.forEach((h, i) => expectNear(h.volume, i === 71 ? 59 : 60, `hour ${i}`));
      expect(days.map((d) => [d.start, d.pings])).toEqual([
        [T0, 1440],
        [T0 + DAY, 1440],
        [T0 + 2 * DAY, 1440],
      ]);
      days.forEach((d, i) => expectNear(d.volume, i === 2 ? 1439 : 1440, `day ${i}`));

      const { sensor } = plant;
      expectNear(await flowVolume(store, P, sensor, T0, T0 + 3 * DAY), 3 * 1440 - 1, 'all three days');
      expectNear(await flowVolume(store, P, sensor, T0 + 90 * 1000, T0 + 2 * DAY + 10 * HOUR + 30 * 1000), 2 * 1440 + 600 - 1, 'from 00:01:30 to day 3 10:00:30');
      expect(await countPings(store, P, sensor, {})).toBe(series.length);
      expect(await countPings(store, P, sensor, { start: T0 + 30 * 1000, end: T0 + DAY + HOUR })).toBe(1440 + 60);
      const rows = await allHours(sensor, T0 - HOUR, T0 + 4 * DAY);
      expect(rows).toHaveLength(4 * 24 + 1);
      expectNear(
        rows.reduce((s, r) => s + r.volume, 0),
        3 * 1440 - 1,
        'hour rows add up',
      );

      // The same series a day at a time, in reverse order, gives the same rollups.
      const again = await newSensor();
      for (let d = 2; d >= 0; d--) await ingest(again, series.slice(d * 1440, (d + 1) * 1440));
      const other = await rollupRows(store, again.channel.id);
      expectSameRollups(other.hours, hours, 'flow_hours, day by day backwards');
      expectSameRollups(other.days, days, 'flow_days, day by day backwards');
    });

    it('a late ping inside a long gap splits its segment; one far in the past starts the series earlier', async () => {
      const plant = await newSensor();
      const { sensor } = plant;
      const t = T0 + DAY;
      await ingest(plant, [
        { time: t, rate: 0 },
        { time: t + 10 * HOUR, rate: 1200 },
      ]);
      // The line from 0 to 1200 bbl/day over 10 h: 250 bbl.
      expectNear(await flowVolume(store, P, sensor, t, t + 10 * HOUR), 250, 'before the late ping');
      const late = { time: t + 5 * HOUR + 30 * MINUTE, rate: 2400 };
      const outcome = await ingest(plant, [late]);
      expect(outcome.stored).toHaveLength(1);
      const series = canonical([{ time: t, rate: 0 }, { time: t + 10 * HOUR, rate: 1200 }, late]);
      expectNear(await flowVolume(store, P, sensor, t, t + 10 * HOUR), referenceVolume(series, t, t + 10 * HOUR), 'after the late ping');
      const { hours } = await rollupRows(store, plant.channel.id);
      expect(hours.map((h) => (h.start - t) / HOUR)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      hours.forEach((h) => expectNear(h.volume, referenceVolume(series, h.start, h.start + HOUR), `hour ${(h.start - t) / HOUR}`));
      expect(hours.map((h) => h.pings)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);

      // Ten days earlier: a new first ping, the gap before the old first one is now flow.
      const early = { time: t - 10 * DAY + 17 * MINUTE, rate: 100 };
      await ingest(plant, [early]);
      const longer = canonical([...series, early]);
      expectNear(await flowVolume(store, P, sensor, t - 11 * DAY, t + DAY), referenceVolume(longer, t - 11 * DAY, t + DAY), 'with the early ping');
      const rollups = await rollupRows(store, plant.channel.id);
      expect(rollups.hours).toHaveLength(10 * 24 + 11);
      expect(rollups.days.map((d) => (d.start - t) / DAY)).toEqual([-10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0]);
      expectNear(
        rollups.days.reduce((s, d) => s + d.volume, 0),
        referenceVolume(longer, -Infinity, Infinity),
        'days add up to the whole series',
      );
      expect(await countPings(store, P, sensor, {})).toBe(4);
    });

    it('a resend changes nothing, even with other values: the first write wins', async () => {
      const plant = await newSensor();
      const series = [0, 20, 50, 65, 130].map((m, i) => ({ time: T0 + m * MINUTE, rate: 100 * (i + 1) }));
      await ingest(plant, series);
      const before = await rollupRows(store, plant.channel.id);
      const resend = await ingest(
        plant,
        series.map((p) => ({ time: p.time, rate: p.rate * 7 + 1 })),
      );
      expect(resend.stored).toEqual([]);
      expect(resend.duplicates).toBe(series.length);
      expect(await rollupRows(store, plant.channel.id)).toEqual(before);
      expectNear(await flowVolume(store, P, plant.sensor, T0, T0 + DAY), referenceVolume(series, T0, T0 + DAY), 'volume');
    });

    it('a batch that fails on a foreign key leaves the rollups as they were', async () => {
      const plant = await newSensor();
      const series = Array.from({ length: 200 }, (_, i) => ({ time: T0 + i * 7 * MINUTE, rate: 500 + i }));
      await ingest(plant, series);
      const before = await rollupRows(store, plant.channel.id);
      const volumeBefore = await flowVolume(store, P, plant.sensor, T0, T0 + 2 * DAY);

      // 2,500 new pings (more than one multi-row INSERT on either engine) inside and after the
      // stored ones, then a reading for a channel that does not exist.
      const more = Array.from({ length: 2_500 }, (_, i) => ({ channelId: plant.channel.id, time: T0 + 30_000 + i * 61_000, value: 9_000 }));
      await rejectionOf(store.ingest(plant.controller.id, batch([...more, { channelId: plant.channel.id + 100_000, time: T0, value: 1 }]), T0 + DAY));
      expect(await rollupRows(store, plant.channel.id)).toEqual(before);
      expect(await countPings(store, P, plant.sensor, {})).toBe(series.length);
      expect(await flowVolume(store, P, plant.sensor, T0, T0 + 2 * DAY)).toBe(volumeBefore);
    });

    it('a batch that fails after the rollups were rewritten (an alarm of an unknown channel) leaves them as they were', async () => {
      const plant = await newSensor();
      const series = Array.from({ length: 200 }, (_, i) => ({ time: T0 + i * 7 * MINUTE, rate: 500 + i }));
      await ingest(plant, series);
      const before = await rollupRows(store, plant.channel.id);
      const late = Array.from({ length: 300 }, (_, i) => ({ time: T0 + 30_000 + i * 61_000, rate: 9_000 }));
      const failingAlarm: IngestAlarmEvent = { action: 'raise', channelId: plant.channel.id + 100_000, code: 1, type: 'low-flow', severity: 'warning', message: 'Low flow', time: T0 };
      await rejectionOf(ingest(plant, late, [failingAlarm]));
      expect(await rollupRows(store, plant.channel.id)).toEqual(before);
      expect(await countPings(store, P, plant.sensor, {})).toBe(series.length);

      // The same pings without the bad alarm go in, and the rollups move.
      await ingest(plant, late);
      const after = await rollupRows(store, plant.channel.id);
      const all = canonical([...series, ...late]);
      expect(after.hours.reduce((s, h) => s + h.pings, 0)).toBe(all.length);
      after.hours.forEach((h) => expectNear(h.volume, referenceVolume(all, h.start, h.start + HOUR), `hour ${h.start}`));
    });

    // Devices retry, back-fill history after an outage, and several ingest requests for one
    // sensor can be in flight at once: on PostgreSQL they run in parallel transactions. Their
    // rollups must come out as if the batches had run one after the other. (SQLite serialises
    // them on its single connection.)
    describe('concurrent batches for one sensor', () => {
      const series = Array.from({ length: 2 * 144 }, (_, i) => ({ time: T0 + i * 10 * MINUTE + (i % 3) * 1000, rate: 1000 + ((i * 37) % 500) }));
      let expected: Awaited<ReturnType<typeof rollupRows>>;
      beforeAll(async () => {
        const reference = await newSensor();
        await ingest(reference, series);
        expected = await rollupRows(store, reference.channel.id);
      });

      const check = async (plant: FlowPlant & { sensor: FlowSensor }, outcomes: PromiseSettledResult<unknown>[]) => {
        const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
        expect(failures, 'rejected concurrent batches').toEqual([]);
        expect(await countPings(store, P, plant.sensor, {})).toBe(series.length);
        const actual = await rollupRows(store, plant.channel.id);
        expectSameRollups(actual.hours, expected.hours, 'flow_hours after concurrent batches');
        expectSameRollups(actual.days, expected.days, 'flow_days after concurrent batches');
        expectNear(await flowVolume(store, P, plant.sensor, T0, T0 + 2 * DAY), referenceVolume(series, T0, T0 + 2 * DAY), 'volume');
      };
      // Twelve interleaved batches: every batch has pings next to every other batch's pings.
      const interleaved = (pings: RefPing[]) => Array.from({ length: 12 }, (_, k) => pings.filter((_, i) => i % 12 === k));

      it('interleaved live batches all succeed and leave the same rollups as one batch', async () => {
        const plant = await newSensor();
        await check(plant, await Promise.allSettled(interleaved(series).map((b) => ingest(plant, b))));
      });

      it('back-fill behind a newer ping (no batch moves the latest value) leaves the same rollups as one batch', async () => {
        const plant = await newSensor();
        await ingest(plant, series.slice(-1));
        await check(plant, await Promise.allSettled(interleaved(series.slice(0, -1)).map((b) => ingest(plant, b))));
      });
    });
  });
}
