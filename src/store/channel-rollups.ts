import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Reading } from '../domain/types.js';
import type { Database } from './schema.js';
import type { Executor } from './scoped-query.js';

/**
 * Hourly and daily aggregates of every channel (`channel_hours`, `channel_days`): count, min,
 * max, sum, first and last reading of each UTC hour and day. Ingest recomputes the buckets a
 * batch touched from the stored rows, in its transaction, so late, out-of-order and resent
 * readings leave them exactly as a recomputation from scratch would; chart series of long
 * ranges read them instead of raw rows.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

type BucketTable = 'channel_hours' | 'channel_days';

/**
 * Touched buckets closer than this are recomputed as one range: one statement pair instead of
 * several, at the price of re-aggregating a few untouched hours (which come out unchanged).
 */
const MERGE_GAP_HOURS = 6;

/** Bucket starts are whole multiples of the width since the epoch; times are epoch ms ≥ 0. */
const floorTo = (t: number, width: number) => Math.floor(t / width) * width;

/** Sorted bucket starts grouped into half-open ranges [from, to), merging gaps up to `maxGap` buckets. */
export function bucketRanges(starts: readonly number[], width: number, maxGap: number): [number, number][] {
  const sorted = [...new Set(starts)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const start of sorted) {
    const last = ranges.at(-1);
    if (last && start - last[1] <= maxGap * width) last[1] = start + width;
    else ranges.push([start, start + width]);
  }
  return ranges;
}

/**
 * Recomputes the hours and days that `stored` (the rows a batch actually inserted) fall in.
 * Channels whose touched ranges are the same (a controller reporting all its channels for the
 * same minutes) share their statements.
 */
export async function refreshChannelBuckets(trx: Executor, stored: readonly Reading[]): Promise<void> {
  const hoursByChannel = new Map<number, number[]>();
  for (const r of stored) {
    const hours = hoursByChannel.get(r.channelId) ?? [];
    hours.push(floorTo(r.time, HOUR_MS));
    hoursByChannel.set(r.channelId, hours);
  }
  const channelsByRanges = new Map<string, { ranges: [number, number][]; channelIds: number[] }>();
  for (const [channelId, hours] of hoursByChannel) {
    const ranges = bucketRanges(hours, HOUR_MS, MERGE_GAP_HOURS);
    const key = ranges.join(';');
    const group = channelsByRanges.get(key) ?? { ranges, channelIds: [] };
    group.channelIds.push(channelId);
    channelsByRanges.set(key, group);
  }
  for (const { ranges, channelIds } of channelsByRanges.values()) {
    for (const [from, to] of ranges) await rebuildHours(trx, channelIds, from, to);
    const days = ranges.flatMap(([from, to]) => {
      const out: number[] = [];
      for (let day = floorTo(from, DAY_MS); day < to; day += DAY_MS) out.push(day);
      return out;
    });
    for (const [from, to] of bucketRanges(days, DAY_MS, 0)) await rebuildDays(trx, channelIds, from, to);
  }
}

/**
 * Builds a channel's buckets from all its readings, a week at a time so that each statement
 * stays bounded however long the history; empty stretches are skipped, not walked.
 */
export async function rebuildChannelBuckets(db: Executor, channelId: number): Promise<void> {
  const CHUNK = 7 * DAY_MS;
  let cursor = 0;
  for (;;) {
    const next = await db
      .selectFrom('readings')
      .select('time')
      .where('channel_id', '=', channelId)
      .where('time', '>=', cursor)
      .orderBy('time')
      .limit(1)
      .executeTakeFirst();
    if (!next) return;
    const from = floorTo(Number(next.time), DAY_MS);
    cursor = from + CHUNK;
    await rebuildHours(db, [channelId], from, cursor);
    await rebuildDays(db, [channelId], from, cursor);
  }
}

const BUCKET_COLUMNS = ['channel_id', 'bucket_start', 'count', 'min', 'max', 'sum', 'first_time', 'first_value', 'last_time', 'last_value'] as const;

/**
 * Writes aggregates over buckets, replacing those stored. An upsert suffices (no delete):
 * readings are never removed by ingest, so a bucket that had rows still has them.
 */
async function upsertBuckets(trx: Executor, table: BucketTable, aggregate: AggregateQuery): Promise<void> {
  await trx
    .insertInto(table)
    .columns(BUCKET_COLUMNS)
    .expression(withEdgeValues(trx, aggregate))
    .onConflict((oc) =>
      oc.columns(['channel_id', 'bucket_start']).doUpdateSet((eb) => ({
        count: eb.ref('excluded.count'),
        min: eb.ref('excluded.min'),
        max: eb.ref('excluded.max'),
        sum: eb.ref('excluded.sum'),
        first_time: eb.ref('excluded.first_time'),
        first_value: eb.ref('excluded.first_value'),
        last_time: eb.ref('excluded.last_time'),
        last_value: eb.ref('excluded.last_value'),
      })),
    )
    .execute();
}

/** Hours [from, to) of some channels, aggregated from their readings in one INSERT … SELECT. */
async function rebuildHours(trx: Executor, channelIds: number[], from: number, to: number): Promise<void> {
  const hours = trx
    .selectFrom('readings')
    .select((eb) => [
      'channel_id',
      sql<number>`time - (time % ${HOUR_MS})`.as('bucket'),
      eb.fn.countAll<number>().as('count'),
      eb.fn.min('value').as('min'),
      eb.fn.max('value').as('max'),
      eb.fn.sum<number>('value').as('sum'),
      eb.fn.min('time').as('first_time'),
      eb.fn.max('time').as('last_time'),
    ])
    .where('channel_id', 'in', channelIds)
    .where('time', '>=', from)
    .where('time', '<', to)
    .groupBy(['channel_id', 'bucket']);
  await upsertBuckets(trx, 'channel_hours', hours);
}

/** Days [from, to) of some channels, added up from their hours (24 rows a day, not 1,440 readings). */
async function rebuildDays(trx: Executor, channelIds: number[], from: number, to: number): Promise<void> {
  // `day`, not `bucket_start`: PostgreSQL resolves a GROUP BY name to the input column first.
  const days = trx
    .selectFrom('channel_hours')
    .select((eb) => [
      'channel_id',
      sql<number>`bucket_start - (bucket_start % ${DAY_MS})`.as('bucket'),
      eb.fn.sum<number>('count').as('count'),
      eb.fn.min('min').as('min'),
      eb.fn.max('max').as('max'),
      eb.fn.sum<number>('sum').as('sum'),
      eb.fn.min('first_time').as('first_time'),
      eb.fn.max('last_time').as('last_time'),
    ])
    .where('channel_id', 'in', channelIds)
    .where('bucket_start', '>=', from)
    .where('bucket_start', '<', to)
    .groupBy(['channel_id', 'bucket']);
  await upsertBuckets(trx, 'channel_days', days);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the source table differs (readings or channel_hours); the columns do not
type AggregateQuery = SelectQueryBuilder<Database, any, Aggregate>;

interface Aggregate {
  channel_id: number;
  bucket: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  first_time: number;
  last_time: number;
}

/**
 * The value of the reading at (channel, time), which is unique and indexed: a correlated
 * lookup rather than a join, whose plan PostgreSQL may get wrong on fresh statistics
 * (scanning the channel's readings for each bucket). Portable where SQLite's bare columns
 * and PostgreSQL's DISTINCT ON differ.
 */
function valueAt(eb: ExpressionBuilder<{ b: Aggregate } & Database, 'b'>, time: 'b.first_time' | 'b.last_time') {
  return eb.selectFrom('readings as r').select('r.value').whereRef('r.channel_id', '=', 'b.channel_id').whereRef('r.time', '=', time).$asScalar().$notNull();
}

function withEdgeValues(trx: Executor, aggregate: AggregateQuery) {
  return (
    trx
      .selectFrom(aggregate.as('b'))
      .select((eb) => [
        'b.channel_id',
        'b.bucket',
        'b.count',
        'b.min',
        'b.max',
        'b.sum',
        'b.first_time',
        valueAt(eb, 'b.first_time').as('first_value'),
        'b.last_time',
        valueAt(eb, 'b.last_time').as('last_value'),
      ])
      // SQLite would read `ON CONFLICT` right after a FROM as part of it unless a WHERE comes first.
      .where(sql<boolean>`true`)
  );
}

/** One bucket of a chart series, aggregated by the database. */
export interface SeriesRow {
  start: number;
  min: number;
  max: number;
  avg: number;
  last: number;
  count: number;
}

/**
 * A channel's buckets of width `intervalMs` starting in [from, to) (both multiples of the
 * width), oldest first, empty buckets absent. The source is the coarsest table whose grain
 * divides the width: channel_days, channel_hours, else the raw readings (callers keep raw
 * ranges short: see domain/series.ts). Buckets of the source grain are read as they are;
 * wider ones are grouped in SQL, their last value looked up by (channel, time).
 */
export async function seriesBuckets(
  db: Executor,
  channelId: number,
  intervalMs: number,
  from: number,
  to: number,
  restrict: <Q>(query: Q) => Q,
): Promise<SeriesRow[]> {
  const table: BucketTable | null = intervalMs % DAY_MS === 0 ? 'channel_days' : intervalMs % HOUR_MS === 0 ? 'channel_hours' : null;
  if (table !== null && intervalMs === (table === 'channel_days' ? DAY_MS : HOUR_MS)) {
    const rows = await db
      .selectFrom(table)
      .select(['bucket_start', 'min', 'max', 'sum', 'count', 'last_value'])
      .where('channel_id', '=', channelId)
      .where('bucket_start', '>=', from)
      .where('bucket_start', '<', to)
      .$call(restrict)
      .orderBy('bucket_start')
      .execute();
    return rows.map((r) => ({ start: Number(r.bucket_start), min: r.min, max: r.max, avg: r.sum / Number(r.count), last: r.last_value, count: Number(r.count) }));
  }
  const grouped =
    table === null
      ? db
          .selectFrom('readings')
          .select((eb) => [
            'channel_id',
            sql<number>`time - (time % ${intervalMs})`.as('bucket'),
            eb.fn.min('value').as('min'),
            eb.fn.max('value').as('max'),
            eb.fn.sum<number>('value').as('sum'),
            eb.fn.countAll<number>().as('count'),
            eb.fn.max('time').as('last_time'),
          ])
          .where('channel_id', '=', channelId)
          .where('time', '>=', from)
          .where('time', '<', to)
          .groupBy(['channel_id', 'bucket'])
      : db
          .selectFrom(table)
          .select((eb) => [
            'channel_id',
            sql<number>`bucket_start - (bucket_start % ${intervalMs})`.as('bucket'),
            eb.fn.min('min').as('min'),
            eb.fn.max('max').as('max'),
            eb.fn.sum<number>('sum').as('sum'),
            eb.fn.sum<number>('count').as('count'),
            eb.fn.max('last_time').as('last_time'),
          ])
          .where('channel_id', '=', channelId)
          .where('bucket_start', '>=', from)
          .where('bucket_start', '<', to)
          .groupBy(['channel_id', 'bucket']);
  const rows = await db
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- both branches select the same columns
    .selectFrom((grouped as SelectQueryBuilder<Database, any, Aggregate>).as('b'))
    .select((eb) => ['b.bucket', 'b.min', 'b.max', 'b.sum', 'b.count', valueAt(eb, 'b.last_time').as('last')])
    .$call(restrict)
    .orderBy('b.bucket')
    .execute();
  return rows.map((r) => ({ start: Number(r.bucket), min: r.min, max: r.max, avg: Number(r.sum) / Number(r.count), last: r.last, count: Number(r.count) }));
}
