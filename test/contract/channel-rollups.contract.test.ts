import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerScope, PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { createMigrator } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open-store.js';
import { sqliteDialect } from '../../src/store/dialects/sqlite.js';
import { postgresDialect } from '../../src/store/dialects/postgres.js';
import type { IngestReading, SeriesBucket } from '../../src/store/store.js';
import { emptyPostgresDatabase, emptySqliteFile, storeFactories, type TestStore } from '../helpers/stores.js';
import { createPlant, MINUTE, type Plant } from './contract-helpers.js';

/**
 * Channel rollups (channel_hours, channel_days), kept by ingest for every channel, and the
 * series buckets read from them or from raw readings: both checked against a recomputation
 * from the stored rows, on both stores, with batches out of order and resent duplicates.
 */

const P = PLATFORM_SCOPE;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const LADDER = [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 6 * HOUR, DAY];
const RUNS = Number(process.env.SERIES_PROPERTY_RUNS ?? 15);

interface Row {
  time: number;
  value: number;
}

/** The reference: buckets of `width` over the stored rows, in plain JS. */
function reference(rows: readonly Row[], width: number, from: number, to: number): SeriesBucket[] {
  const lo = Math.floor(from / width) * width;
  const hi = Math.ceil(to / width) * width;
  const buckets = new Map<number, { min: number; max: number; sum: number; count: number; lastTime: number; last: number }>();
  for (const r of rows) {
    if (r.time < lo || r.time >= hi) continue;
    const start = Math.floor(r.time / width) * width;
    const b = buckets.get(start);
    if (!b) buckets.set(start, { min: r.value, max: r.value, sum: r.value, count: 1, lastTime: r.time, last: r.value });
    else {
      b.min = Math.min(b.min, r.value);
      b.max = Math.max(b.max, r.value);
      b.sum += r.value;
      b.count += 1;
      if (r.time > b.lastTime) {
        b.lastTime = r.time;
        b.last = r.value;
      }
    }
  }
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([start, b]) => ({ start, min: b.min, max: b.max, avg: b.sum / b.count, last: b.last, count: b.count }));
}

/** Exact except the average, whose sum the database adds in another order. */
function expectSameBuckets(actual: SeriesBucket[], expected: SeriesBucket[]) {
  expect(actual.map(({ avg: _avg, ...rest }) => rest)).toEqual(expected.map(({ avg: _avg, ...rest }) => rest));
  actual.forEach((b, i) => expect(b.avg).toBeCloseTo(expected[i]!.avg, 9));
}

/** What is stored: the first reading of each (channel, time) wins, as in ingest. */
function storedRows(batches: readonly IngestReading[][], channelId: number): Row[] {
  const seen = new Map<number, number>();
  for (const batch of batches) for (const r of batch) if (r.channelId === channelId && !seen.has(r.time)) seen.set(r.time, r.value);
  return [...seen].map(([time, value]) => ({ time, value }));
}

async function bucketRows(store: TestStore, table: 'channel_hours' | 'channel_days', channelId: number) {
  const rows = await store.kysely.selectFrom(table).selectAll().where('channel_id', '=', channelId).orderBy('bucket_start').execute();
  return rows.map((r) => ({ ...r, channel_id: Number(r.channel_id), bucket_start: Number(r.bucket_start), count: Number(r.count), first_time: Number(r.first_time), last_time: Number(r.last_time) }));
}

/** channel_hours / channel_days as a recomputation from `rows` gives them. */
function referenceRollups(rows: readonly Row[], channelId: number, width: number) {
  const sorted = [...rows].sort((a, b) => a.time - b.time);
  const out = new Map<number, { channel_id: number; bucket_start: number; count: number; min: number; max: number; sum: number; first_time: number; first_value: number; last_time: number; last_value: number }>();
  for (const r of sorted) {
    const start = Math.floor(r.time / width) * width;
    const b = out.get(start);
    if (!b) out.set(start, { channel_id: channelId, bucket_start: start, count: 1, min: r.value, max: r.value, sum: r.value, first_time: r.time, first_value: r.value, last_time: r.time, last_value: r.value });
    else {
      b.count += 1;
      b.min = Math.min(b.min, r.value);
      b.max = Math.max(b.max, r.value);
      b.sum += r.value;
      b.last_time = r.time;
      b.last_value = r.value;
    }
  }
  return [...out.values()].sort((a, b) => a.bucket_start - b.bucket_start);
}

async function expectRollupsOf(store: TestStore, channelId: number, rows: readonly Row[]) {
  for (const [table, width] of [
    ['channel_hours', HOUR],
    ['channel_days', DAY],
  ] as const) {
    const actual = await bucketRows(store, table, channelId);
    const expected = referenceRollups(rows, channelId, width);
    expect(actual.map(({ sum: _s, ...rest }) => rest), table).toEqual(expected.map(({ sum: _s, ...rest }) => rest));
    actual.forEach((b, i) => expect(b.sum).toBeCloseTo(expected[i]!.sum, 6));
  }
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: channel rollups and series`, () => {
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

    let plants = 0;
    const newPlant = () => createPlant(store, `Series ${factory.name} ${++plants}`);
    const ingest = (plant: Plant, readings: IngestReading[]) => store.ingest(plant.controller.id, { readings, alarms: [] }, T0 + 400 * DAY);

    it('keeps hourly and daily rollups of every channel exact through out-of-order batches and resent readings', async () => {
      const plant = await newPlant();
      const ch = plant.s11.id;
      const at = (minutes: number, value: number): IngestReading => ({ channelId: ch, time: T0 + minutes * MINUTE, value });
      const batches: IngestReading[][] = [
        // Three days, every 7 minutes, a day-crossing span.
        Array.from({ length: (3 * 24 * 60) / 7 }, (_, i) => at(i * 7, Math.round(Math.sin(i) * 1000) / 10 + 0)),
        // Late readings inside hours already stored, before the first and after the last.
        [at(3, 999), at(-30, -5), at(61, -12.5), at(5000, 42)],
        // A resend with other values: stored values stay.
        [at(0, 1234), at(7, 1234), at(3, 1234)],
        // Another channel in the same batch must not disturb this one.
        [at(2 * 24 * 60 + 1, 7.25), { channelId: plant.s12.id, time: T0, value: 7 }],
        // A month later, and a reading in between far from the others.
        [at(31 * 24 * 60, 1), at(15 * 24 * 60 + 17, 2)],
      ];
      for (const batch of batches) await ingest(plant, batch);
      const rows = storedRows(batches, ch);
      await expectRollupsOf(store, ch, rows);
      await expectRollupsOf(store, plant.s12.id, storedRows(batches, plant.s12.id));
      for (const width of LADDER) {
        const from = T0 - DAY;
        const to = width < HOUR ? T0 + 2 * DAY : T0 + 40 * DAY;
        expectSameBuckets(await store.channelSeries(P, { channelId: ch, from, to, intervalMs: width }), reference(rows, width, from, to));
      }
    });

    it('answers whole buckets overlapping [from, to), empty ones absent', async () => {
      const plant = await newPlant();
      const ch = plant.s99.id;
      const readings = [0, 10, 59, 60, 200].map((m, i) => ({ channelId: ch, time: T0 + m * MINUTE, value: i * 1.5 }));
      await ingest(plant, readings);
      const rows = readings.map(({ time, value }) => ({ time, value }));
      // Unaligned bounds: the first and last bucket are whole, not cut.
      const series = await store.channelSeries(P, { channelId: ch, from: T0 + 30 * MINUTE, to: T0 + 61 * MINUTE, intervalMs: HOUR });
      expectSameBuckets(series, reference(rows, HOUR, T0, T0 + 2 * HOUR));
      expect(series.map((b) => b.start)).toEqual([T0, T0 + HOUR]);
      expect(series[0]).toMatchObject({ count: 3, min: 0, max: 3, last: 3 });
      const fifteen = await store.channelSeries(P, { channelId: ch, from: T0, to: T0 + 4 * HOUR, intervalMs: 15 * MINUTE });
      expect(fifteen.map((b) => (b.start - T0) / MINUTE)).toEqual([0, 45, 60, 195]);
      expect(await store.channelSeries(P, { channelId: ch, from: T0 + 5 * HOUR, to: T0 + DAY, intervalMs: HOUR })).toEqual([]);
    });

    it("finds nothing for a channel outside the caller's scope", async () => {
      const mine = await newPlant();
      const theirs = await newPlant();
      await ingest(theirs, [{ channelId: theirs.s11.id, time: T0, value: 1 }]);
      for (const width of [MINUTE, HOUR, 6 * HOUR, DAY]) {
        const query = { channelId: theirs.s11.id, from: T0 - DAY, to: T0 + DAY, intervalMs: width };
        expect(await store.channelSeries(customerScope(mine.customer.id), query)).toEqual([]);
        expect(await store.channelSeries(customerScope(theirs.customer.id), query)).toHaveLength(1);
      }
    });

    it('series at every ladder width equal a recomputation from raw rows, whatever the batching and order (property)', async () => {
      const plant = await newPlant();
      let offset = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ minute: fc.integer({ min: 0, max: 5 * 24 * 60 }), value: fc.integer({ min: -10_000, max: 10_000 }) }), { minLength: 1, maxLength: 120 }),
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 0, max: 5 * 24 * 60 }),
          fc.integer({ min: 1, max: 5 * 24 * 60 }),
          async (points, parts, fromMinute, spanMinutes) => {
            // Each run on its own channel, far from the others' times.
            const channel = await store.createChannel(P, { controllerId: plant.controller.id, number: `P${++offset}`, name: 'Prop', kind: 'input', type: 'level' });
            // A second channel read at the same times: the two share their rollup statements.
            const twin = await store.createChannel(P, { controllerId: plant.controller.id, number: `Q${offset}`, name: 'Twin', kind: 'input', type: 'level' });
            const base = T0 + offset * 10 * DAY;
            const readings = points.flatMap((p) => [
              { channelId: channel.id, time: base + p.minute * MINUTE, value: p.value / 8 },
              // `0 - v`, not `-v`: -0 and 0 are the same reading, but toEqual tells them apart.
              { channelId: twin.id, time: base + p.minute * MINUTE, value: 0 - p.value },
            ]);
            const batches: IngestReading[][] = Array.from({ length: parts }, () => []);
            readings.forEach((r, i) => batches[i % parts]!.push(r));
            batches.reverse();
            batches.push(readings.slice(0, 3).map((r) => ({ ...r, value: r.value + 1 })));
            for (const batch of batches) await ingest(plant, batch);
            const rows = storedRows(batches, channel.id);
            await expectRollupsOf(store, channel.id, rows);
            await expectRollupsOf(store, twin.id, storedRows(batches, twin.id));
            const from = base + fromMinute * MINUTE;
            const to = from + spanMinutes * MINUTE;
            for (const width of LADDER) expectSameBuckets(await store.channelSeries(P, { channelId: channel.id, from, to, intervalMs: width }), reference(rows, width, from, to));
          },
        ),
        { numRuns: RUNS },
      );
    }, 120_000);

    it('migration 0008 builds the rollups of readings stored before it', async () => {
      const database = factory.name === 'sqlite' ? emptySqliteFile() : await emptyPostgresDatabase();
      const old = openStore(database.url, factory.name === 'postgres' ? { maxConnections: 2 } : {});
      try {
        const db = old.kysely as Kysely<unknown>;
        const dialect = factory.name === 'sqlite' ? sqliteDialect : postgresDialect;
        const before = await createMigrator(db, dialect).migrateTo('0006-onboarding');
        expect(before.error).toBeUndefined();
        const plant = await createPlant(old, 'Before 0008');
        // Written as an old release would: readings only, no channel rollups.
        const rows: Row[] = [];
        for (let i = 0; i < 3000; i++) rows.push({ time: T0 + i * 37 * MINUTE, value: (i % 97) / 4 });
        rows.push({ time: T0 + 300 * DAY, value: 9 });
        for (let i = 0; i < rows.length; i += 500) {
          await old.kysely
            .insertInto('readings')
            .values(rows.slice(i, i + 500).map((r) => ({ channel_id: plant.s11.id, time: r.time, value: r.value })))
            .execute();
        }
        await old.migrate();
        await expectRollupsOf(old, plant.s11.id, rows);
        expect(Number((await sql<{ n: number }>`select count(*) as n from channel_hours where channel_id = ${plant.s12.id}`.execute(old.kysely)).rows[0]!.n)).toBe(0);
      } finally {
        await old.close();
        await database.drop();
      }
    });
  });
}
