import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPings, flowVolume, flowVolumeHours, type FlowSensor, type HourVolume, type PingFilter } from '../../src/domain/flow-sensors.js';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import type { IngestReading } from '../../src/store/store.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import {
  canonical,
  createResolvedFlowSensor,
  DAY,
  expectNear,
  expectSameRollups,
  HOUR,
  iso,
  referenceCount,
  referenceVolume,
  rollupRows,
  toReadings,
  type FlowPlant,
  type RefPing,
} from './flow-helpers.js';

/**
 * Property tests of flow volumes on both stores: random ping series go in through
 * store.ingest (the real path, rollups and all), and flowVolume, flowVolumeHours and
 * countPings over random ranges are checked against a brute-force reference integrator
 * (flow-helpers.ts, independent of src/domain/volume.ts). Then: the order, the batching,
 * late pings and re-sent duplicates of a series change nothing.
 *
 * One database per store for the whole file; every run gets sensors of its own.
 * FLOW_PROPERTY_RUNS overrides the number of runs per property and FLOW_PROPERTY_TIMEOUT
 * the time per property (ms), e.g. for a long soak.
 */

const P = PLATFORM_SCOPE;
const RUNS = Number(process.env.FLOW_PROPERTY_RUNS ?? 40);
const TIMEOUT = Number(process.env.FLOW_PROPERTY_TIMEOUT ?? 120_000);
/**
 * Shrinking a failure re-runs database work and can take minutes: stop it well before the
 * test's timeout (fast-check then reports the smallest counterexample found so far). Passing
 * runs take a few seconds, far from this limit.
 */
const PROPERTY_OPTIONS = { numRuns: RUNS, interruptAfterTimeLimit: TIMEOUT * 0.75 };
/** Midnight UTC, 2026-03-01: ranges and series are placed around it. */
const T0 = Date.parse('2026-03-01T00:00:00Z');
const MIN = 60_000;

// --- ping series -----------------------------------------------------------------------

/** A step from one ping to the next: a span of time, or "to the next clock hour (plus whole hours)". */
type Step = { kind: 'ms'; ms: number } | { kind: 'nextHour'; plusHours: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1_000, max: 120_000 }).map((ms) => ({ kind: 'ms' as const, ms })) },
  { weight: 3, arbitrary: fc.integer({ min: MIN, max: 59 * MIN }).map((ms) => ({ kind: 'ms' as const, ms })) },
  { weight: 2, arbitrary: fc.integer({ min: HOUR, max: 30 * HOUR }).map((ms) => ({ kind: 'ms' as const, ms })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }).map((plusHours) => ({ kind: 'nextHour' as const, plusHours })) },
);

const rate: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 10_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 1_000_000 }).map((c) => c / 100) },
  { weight: 2, arbitrary: fc.double({ min: 0, max: 10_000, noNaN: true }) },
);

/** Sorted, distinct times spread over a few days from T0 (or from an hour boundary), rates 0..10000. */
const series: fc.Arbitrary<RefPing[]> = fc
  .record({
    start: fc.oneof(fc.integer({ min: 0, max: DAY }), fc.integer({ min: 0, max: 24 }).map((h) => h * HOUR)),
    steps: fc.array(step, { minLength: 0, maxLength: 45 }),
    rates: fc.array(rate, { minLength: 46, maxLength: 46 }),
  })
  .map(({ start, steps, rates }) => {
    const times = [T0 + start];
    for (const s of steps) {
      const t = times[times.length - 1]!;
      times.push(s.kind === 'ms' ? t + s.ms : (Math.floor(t / HOUR) + 1 + s.plusHours) * HOUR);
    }
    return times.map((time, i) => ({ time, rate: rates[i]! }));
  });

/** Sometimes a sensor with no pings at all. */
const seriesOrEmpty = fc.oneof({ weight: 9, arbitrary: series }, { weight: 1, arbitrary: fc.constant<RefPing[]>([]) });

// --- ranges ----------------------------------------------------------------------------

/** A point in time, resolved against the series it is used with. */
type PointSpec =
  | { kind: 'offset'; ms: number }
  | { kind: 'hour'; h: number }
  | { kind: 'day'; d: number }
  | { kind: 'ping'; i: number; delta: number }
  | { kind: 'beforeFirst'; ms: number }
  | { kind: 'afterLast'; ms: number };

const point: fc.Arbitrary<PointSpec> = fc.oneof(
  fc.integer({ min: -2 * DAY, max: 7 * DAY }).map((ms) => ({ kind: 'offset' as const, ms })),
  fc.integer({ min: -30, max: 170 }).map((h) => ({ kind: 'hour' as const, h })),
  fc.integer({ min: -2, max: 8 }).map((d) => ({ kind: 'day' as const, d })),
  fc.record({ i: fc.nat(), delta: fc.oneof(fc.constant(0), fc.constant(1), fc.constant(-1), fc.integer({ min: -90 * MIN, max: 90 * MIN })) }).map((r) => ({ kind: 'ping' as const, ...r })),
  fc.integer({ min: 1, max: 3 * DAY }).map((ms) => ({ kind: 'beforeFirst' as const, ms })),
  fc.integer({ min: 1, max: 3 * DAY }).map((ms) => ({ kind: 'afterLast' as const, ms })),
);

type RangeSpec = { kind: 'between'; a: PointSpec; b: PointSpec } | { kind: 'insideHour'; at: PointSpec; a: number; b: number };

const rangeSpec: fc.Arbitrary<RangeSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ a: point, b: point }).map((r) => ({ kind: 'between' as const, ...r })) },
  {
    weight: 1,
    arbitrary: fc.record({ at: point, a: fc.integer({ min: 0, max: HOUR }), b: fc.integer({ min: 0, max: HOUR }) }).map((r) => ({ kind: 'insideHour' as const, ...r })),
  },
);

function resolvePoint(p: PointSpec, pings: readonly RefPing[]): number {
  const first = pings[0]?.time ?? T0;
  const last = pings[pings.length - 1]?.time ?? T0;
  switch (p.kind) {
    case 'offset':
      return T0 + p.ms;
    case 'hour':
      return T0 + p.h * HOUR;
    case 'day':
      return T0 + p.d * DAY;
    case 'ping':
      return (pings.length === 0 ? T0 : pings[p.i % pings.length]!.time) + p.delta;
    case 'beforeFirst':
      return first - p.ms;
    case 'afterLast':
      return last + p.ms;
  }
}

/** [from, to) with from <= to (possibly empty). */
function resolveRange(r: RangeSpec, pings: readonly RefPing[]): { from: number; to: number } {
  if (r.kind === 'insideHour') {
    const hour = Math.floor(resolvePoint(r.at, pings) / HOUR) * HOUR;
    return { from: hour + Math.min(r.a, r.b), to: hour + Math.max(r.a, r.b) };
  }
  const a = resolvePoint(r.a, pings);
  const b = resolvePoint(r.b, pings);
  return { from: Math.min(a, b), to: Math.max(a, b) };
}

/** The UTC clock hours overlapping [from, to), newest first, clipped: computed here, not by src. An empty range overlaps none. */
function expectedHourBounds(from: number, to: number): { start: number; end: number }[] {
  const rows: { start: number; end: number }[] = [];
  if (to <= from) return rows;
  for (let hour = Math.floor(from / HOUR) * HOUR; hour < to; hour += HOUR) rows.push({ start: Math.max(hour, from), end: Math.min(hour + HOUR, to) });
  return rows.reverse();
}

const pageSize = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(1000));

// --- the stores ------------------------------------------------------------------------

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: flow volume properties`, () => {
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
    const newSensor = () => createResolvedFlowSensor(store, `Prop ${factory.name} ${++sensors}`);
    const ingest = async (plant: FlowPlant, readings: IngestReading[]) => {
      if (readings.length > 0) await store.ingest(plant.controller.id, { readings, alarms: [] }, T0 + 30 * DAY);
    };

    /** Every row of flowVolumeHours over [from, to), page after page. */
    const allHourRows = async (sensor: FlowSensor, from: number, to: number, size: number): Promise<HourVolume[]> => {
      const rows: HourVolume[] = [];
      for (let offset = 0; ; offset += size) {
        const page = await flowVolumeHours(store, P, sensor, from, to, offset, size);
        expect(page.length, `page at offset ${offset}`).toBeLessThanOrEqual(size);
        rows.push(...page);
        if (page.length < size) return rows;
      }
    };

    /** What the queries answer over one range, for comparing sensors with each other. */
    const answers = async (sensor: FlowSensor, from: number, to: number) => ({
      volume: await flowVolume(store, P, sensor, from, to),
      hours: await allHourRows(sensor, from, to, 1000),
      count: await countPings(store, P, sensor, { start: from, end: to }),
    });
    const expectSameAnswers = (actual: Awaited<ReturnType<typeof answers>>, expected: Awaited<ReturnType<typeof answers>>, what: string) => {
      expectNear(actual.volume, expected.volume, `${what}: flowVolume`);
      expect(actual.count, `${what}: countPings`).toBe(expected.count);
      expect(
        actual.hours.map((h) => [h.start, h.end]),
        `${what}: hour rows`,
      ).toEqual(expected.hours.map((h) => [h.start, h.end]));
      actual.hours.forEach((h, i) => expectNear(h.volume, expected.hours[i]!.volume, `${what}: hour ${iso(h.start)}`));
    };

    /** The rollup tables hold, hour by hour and day by day, what the reference says. */
    const expectRollupsMatchReference = async (plant: FlowPlant, pings: readonly RefPing[]) => {
      const { hours, days } = await rollupRows(store, plant.channel.id);
      for (const [rows, unit, what] of [
        [hours, HOUR, 'flow_hours'],
        [days, DAY, 'flow_days'],
      ] as const) {
        for (const row of rows) {
          expect(row.start % unit, `${what} ${iso(row.start)} starts on its boundary`).toBe(0);
          expect(row.pings, `${what} ${iso(row.start)}: ping_count`).toBe(referenceCount(pings, row.start, row.start + unit - 1));
          expectNear(row.volume, referenceVolume(pings, row.start, row.start + unit), `${what} ${iso(row.start)}: volume`);
        }
        // Every bucket holding a ping has a row, and the rows hold all the flow there is.
        const starts = new Set(rows.map((r) => r.start));
        for (const p of pings) expect(starts.has(Math.floor(p.time / unit) * unit), `${what} row for the ping at ${iso(p.time)}`).toBe(true);
        expectNear(
          rows.reduce((s, r) => s + r.volume, 0),
          referenceVolume(pings, -Infinity, Infinity),
          `${what} add up to the whole series`,
        );
      }
    };

    it(
      'flowVolume, flowVolumeHours and countPings agree with the brute-force reference over any range',
      async () => {
        await fc.assert(
          fc.asyncProperty(seriesOrEmpty, fc.array(rangeSpec, { minLength: 4, maxLength: 8 }), pageSize, async (pings, specs, size) => {
            const plant = await newSensor();
            await ingest(plant, toReadings(plant.channel.id, pings));
            await expectRollupsMatchReference(plant, pings);
            const { sensor } = plant;
            expect(await countPings(store, P, sensor, {}), 'countPings without bounds').toBe(pings.length);

            for (const spec of specs) {
              const { from, to } = resolveRange(spec, pings);
              const where = `[${iso(from)}, ${iso(to)})`;
              const reference = referenceVolume(pings, from, to);
              const volume = await flowVolume(store, P, sensor, from, to);
              expectNear(volume, reference, `flowVolume over ${where}`);

              const rows = await allHourRows(sensor, from, to, size);
              expect(
                rows.map((r) => [r.start, r.end]),
                `hour rows over ${where}: clipped clock hours, newest first`,
              ).toEqual(expectedHourBounds(from, to).map((r) => [r.start, r.end]));
              for (const r of rows) expectNear(r.volume, referenceVolume(pings, r.start, r.end), `hour row ${iso(r.start)}..${iso(r.end)}`);
              expectNear(
                rows.reduce((s, r) => s + r.volume, 0),
                volume,
                `sum of hour rows == flowVolume over ${where}`,
              );

              // Inclusive bounds, and each side open.
              const filters: PingFilter[] = [{ start: from, end: to }, { start: from }, { end: to }, { start: to, end: from }];
              for (const f of filters) expect(await countPings(store, P, sensor, f), `countPings ${JSON.stringify(f)}`).toBe(f.start !== undefined && f.end !== undefined && f.end < f.start ? 0 : referenceCount(pings, f.start, f.end));
            }
          }),
          PROPERTY_OPTIONS,
        );
      },
      TIMEOUT,
    );

    /**
     * The ways one series can arrive, all of which must leave the same rollups: in order in one
     * batch; shuffled in batches of random sizes; shuffled with re-sent pings (other values,
     * after the original was sent, in a later batch or later in the same one).
     */
    const delivery = fc.record({
      order: fc.array(fc.nat(), { minLength: 46, maxLength: 46 }),
      cuts: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 46, maxLength: 46 }),
      resends: fc.array(fc.record({ after: fc.nat(), which: fc.nat(), rate: fc.integer({ min: 0, max: 10_000 }), sameBatch: fc.boolean() }), { maxLength: 15 }),
    });

    function shuffled<T>(items: readonly T[], keys: readonly number[]): T[] {
      return items
        .map((item, i) => ({ item, key: keys[i] ?? 0, i }))
        .sort((a, b) => a.key - b.key || a.i - b.i)
        .map((x) => x.item);
    }
    function batches<T>(items: readonly T[], cuts: readonly number[]): T[][] {
      const out: T[][] = [];
      for (let i = 0, k = 0; i < items.length; k++) {
        const size = cuts[k % cuts.length] ?? 1;
        out.push(items.slice(i, i + size));
        i += size;
      }
      return out;
    }

    it(
      'in-order, shuffled and batched, and resent deliveries of one series leave identical rollups and answers',
      async () => {
        await fc.assert(
          fc.asyncProperty(series, delivery, fc.array(rangeSpec, { minLength: 3, maxLength: 5 }), async (pings, plan, specs) => {
            const inOrder = await newSensor();
            const batched = await newSensor();
            const resent = await newSensor();

            await ingest(inOrder, toReadings(inOrder.channel.id, pings));

            const parts = batches(shuffled(pings, plan.order), plan.cuts);
            for (const part of parts) await ingest(batched, toReadings(batched.channel.id, part));

            // Resends: once batch `after` has gone, ping `which` of what was sent so far comes again with another rate.
            const sent: RefPing[] = [];
            for (const [k, part] of parts.entries()) {
              const readings = toReadings(resent.channel.id, part);
              for (const r of plan.resends.filter((x) => x.after % parts.length === k)) {
                const pool = r.sameBatch ? [...sent, ...part] : sent;
                if (pool.length === 0) continue;
                const again = pool[r.which % pool.length]!;
                // Later in the batch than the original (if the original is in it): the original stays the first write.
                readings.push({ channelId: resent.channel.id, time: again.time, value: r.rate + 0.5 });
              }
              await ingest(resent, readings);
              sent.push(...part);
            }
            // And a full resend at the end, every rate changed.
            await ingest(
              resent,
              pings.map((p) => ({ channelId: resent.channel.id, time: p.time, value: p.rate + 1 })),
            );

            const expected = await rollupRows(store, inOrder.channel.id);
            await expectRollupsMatchReference(inOrder, pings);
            for (const [plant, what] of [
              [batched, 'shuffled batches'],
              [resent, 'shuffled batches with resends'],
            ] as const) {
              const actual = await rollupRows(store, plant.channel.id);
              expectSameRollups(actual.hours, expected.hours, `${what}: flow_hours`);
              expectSameRollups(actual.days, expected.days, `${what}: flow_days`);
              expect(await countPings(store, P, plant.sensor, {}), `${what}: ping count`).toBe(pings.length);
            }
            // The first write won: the stored values are the originals.
            const stored = await store.listReadings(P, { channelId: resent.channel.id, order: 'asc', limit: 10_000 });
            expect(stored.map((r) => [r.time, r.value])).toEqual(pings.map((p) => [p.time, p.rate]));

            for (const spec of specs) {
              const { from, to } = resolveRange(spec, pings);
              const expectedAnswers = await answers(inOrder.sensor, from, to);
              expectNear(expectedAnswers.volume, referenceVolume(pings, from, to), `in order: flowVolume over [${iso(from)}, ${iso(to)})`);
              expectSameAnswers(await answers(batched.sensor, from, to), expectedAnswers, `shuffled batches over [${iso(from)}, ${iso(to)})`);
              expectSameAnswers(await answers(resent.sensor, from, to), expectedAnswers, `with resends over [${iso(from)}, ${iso(to)})`);
            }
          }),
          PROPERTY_OPTIONS,
        );
      },
      TIMEOUT,
    );

    it(
      'late pings, one inside the longest gap and one far before the first ping, leave what in-order ingest leaves',
      async () => {
        await fc.assert(
          fc.asyncProperty(
            series.filter((s) => s.length >= 2),
            fc.record({
              gapAt: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
              gapRate: rate,
              pastBy: fc.integer({ min: 1, max: 20 * DAY }),
              pastRate: rate,
              lateMask: fc.array(fc.boolean(), { minLength: 46, maxLength: 46 }),
            }),
            fc.array(rangeSpec, { minLength: 3, maxLength: 5 }),
            async (base, extra, specs) => {
              // The longest gap between two pings, and a ping inside it (at a whole ms).
              let widest = 0;
              for (let i = 1; i < base.length; i++) if (base[i]!.time - base[i - 1]!.time > base[widest + 1]!.time - base[widest]!.time) widest = i - 1;
              const a = base[widest]!;
              const b = base[widest + 1]!;
              const inGap = Math.min(b.time - 1, Math.max(a.time + 1, a.time + Math.round((b.time - a.time) * extra.gapAt)));
              const lateOnes: RefPing[] = [{ time: base[0]!.time - extra.pastBy, rate: extra.pastRate }];
              if (inGap > a.time && inGap < b.time) lateOnes.push({ time: inGap, rate: extra.gapRate });
              // Some of the series' own pings come late too.
              const early = base.filter((_, i) => !extra.lateMask[i]);
              lateOnes.push(...base.filter((_, i) => extra.lateMask[i]));
              const full = canonical([...base, ...lateOnes]);

              const inOrder = await newSensor();
              await ingest(inOrder, toReadings(inOrder.channel.id, full));
              const late = await newSensor();
              await ingest(late, toReadings(late.channel.id, early));
              for (const p of lateOnes) await ingest(late, toReadings(late.channel.id, [p]));

              await expectRollupsMatchReference(late, full);
              const expected = await rollupRows(store, inOrder.channel.id);
              const actual = await rollupRows(store, late.channel.id);
              expectSameRollups(actual.hours, expected.hours, 'late pings: flow_hours');
              expectSameRollups(actual.days, expected.days, 'late pings: flow_days');

              const ranges = [
                { from: full[0]!.time - DAY, to: full[full.length - 1]!.time + DAY },
                { from: a.time, to: b.time },
                ...specs.map((s) => resolveRange(s, full)),
              ];
              for (const { from, to } of ranges) {
                const answer = await answers(late.sensor, from, to);
                expectNear(answer.volume, referenceVolume(full, from, to), `late pings: flowVolume over [${iso(from)}, ${iso(to)})`);
                expect(answer.count).toBe(referenceCount(full, from, to));
                expectSameAnswers(answer, await answers(inOrder.sensor, from, to), `late pings over [${iso(from)}, ${iso(to)})`);
              }
            },
          ),
          PROPERTY_OPTIONS,
        );
      },
      TIMEOUT,
    );
  });
}
