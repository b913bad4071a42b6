import type { Kysely, Transaction } from 'kysely';
import { hourlyVolumes, MS_PER_DAY, MS_PER_HOUR, type Ping } from '../domain/volume.js';
import type { Reading } from '../domain/types.js';
import type { Database } from './schema.js';

type Executor = Kysely<Database> | Transaction<Database>;

export const ROLLUP_CHANNEL_TYPE = 'flowrate';

const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;

/**
 * Pings of a channel in [from, to), plus the last one before `from` and the first at or
 * after `to`: everything needed to integrate exactly over [from, to).
 */
export async function pingWindow(
  db: Executor,
  channelId: number,
  from: number,
  to: number,
  restrict: <Q>(query: Q) => Q = (query) => query,
): Promise<Ping[]> {
  const readings = () => db.selectFrom('readings').select(['time', 'value']).where('channel_id', '=', channelId).$call(restrict);
  const [before, inside, after] = await Promise.all([
    readings().where('time', '<', from).orderBy('time', 'desc').limit(1).executeTakeFirst(),
    readings().where('time', '>=', from).where('time', '<', to).orderBy('time', 'asc').execute(),
    readings().where('time', '>=', to).orderBy('time', 'asc').limit(1).executeTakeFirst(),
  ]);
  const pings = inside.map((r) => ({ time: r.time, rate: r.value }));
  if (before) pings.unshift({ time: before.time, rate: before.value });
  if (after) pings.push({ time: after.time, rate: after.value });
  return pings;
}

/**
 * Recomputes the rollups a batch changed, inside the ingest transaction. New pings between
 * their stored neighbours `prev` and `next` change only the segments in [prev, next], so
 * exactly the hours overlapping that span are recomputed from raw pings (bounded by the
 * hours touched, not the sensor's history), then the days containing them are re-added from
 * their hours. Recomputing instead of adding deltas keeps late, out-of-order and resent
 * pings from accumulating rounding drift: the result only depends on the stored pings.
 */
export async function refreshFlowRollups(trx: Executor, rollupChannelIds: ReadonlySet<number>, stored: readonly Reading[]): Promise<void> {
  const byChannel = new Map<number, { lo: number; hi: number }>();
  for (const r of stored) {
    if (!rollupChannelIds.has(r.channelId)) continue;
    const span = byChannel.get(r.channelId);
    if (!span) byChannel.set(r.channelId, { lo: r.time, hi: r.time });
    else {
      span.lo = Math.min(span.lo, r.time);
      span.hi = Math.max(span.hi, r.time);
    }
  }
  for (const [channelId, { lo, hi }] of byChannel) await refreshChannel(trx, channelId, lo, hi);
}

/** A channel's hourly rollup rows starting in [from, to), oldest first. */
export function flowHoursBetween(db: Executor, channelId: number, from: number, to: number, restrict: <Q>(query: Q) => Q = (query) => query) {
  return db
    .selectFrom('flow_hours')
    .select(['hour_start', 'volume', 'ping_count'])
    .where('channel_id', '=', channelId)
    .where('hour_start', '>=', from)
    .where('hour_start', '<', to)
    .$call(restrict)
    .orderBy('hour_start')
    .execute();
}

/**
 * Builds a channel's rollups from all its stored pings, a week of pings at a time so memory
 * stays bounded however long the history (used when rollups are introduced on old data).
 */
export async function rebuildFlowRollups(db: Executor, channelId: number): Promise<void> {
  const span = await db
    .selectFrom('readings')
    .select((eb) => [eb.fn.min<number>('time').as('first'), eb.fn.max<number>('time').as('last')])
    .where('channel_id', '=', channelId)
    .executeTakeFirst();
  if (!span || span.first === null || span.last === null) return;
  const first = Number(span.first);
  const last = Number(span.last);
  const WEEK = 7 * MS_PER_DAY;
  for (let lo = first; lo <= last; lo += WEEK) await refreshChannel(db, channelId, lo, Math.min(lo + WEEK - 1, last));
}

async function refreshChannel(trx: Executor, channelId: number, lo: number, hi: number): Promise<void> {
  const [prev, next] = await Promise.all([
    trx.selectFrom('readings').select('time').where('channel_id', '=', channelId).where('time', '<', lo).orderBy('time', 'desc').limit(1).executeTakeFirst(),
    trx.selectFrom('readings').select('time').where('channel_id', '=', channelId).where('time', '>', hi).orderBy('time', 'asc').limit(1).executeTakeFirst(),
  ]);
  const from = floorTo(prev?.time ?? lo, MS_PER_HOUR);
  // The hour holding `next` (or the newest ping) changes too: its ping count or its first segment.
  const to = floorTo(next?.time ?? hi, MS_PER_HOUR) + MS_PER_HOUR;

  const pings = await pingWindow(trx, channelId, from, to);
  const volumes = hourlyVolumes(pings, from, to);
  const counts = new Map<number, number>();
  for (const p of pings) if (p.time >= from && p.time < to) counts.set(floorTo(p.time, MS_PER_HOUR), (counts.get(floorTo(p.time, MS_PER_HOUR)) ?? 0) + 1);

  const hours = [...volumes]
    .map(([hour_start, volume]) => ({ channel_id: channelId, hour_start, volume, ping_count: counts.get(hour_start) ?? 0 }))
    .filter((h) => h.volume !== 0 || h.ping_count !== 0);
  await trx.deleteFrom('flow_hours').where('channel_id', '=', channelId).where('hour_start', '>=', from).where('hour_start', '<', to).execute();
  for (let i = 0; i < hours.length; i += 1000) await trx.insertInto('flow_hours').values(hours.slice(i, i + 1000)).execute();

  const dayFrom = floorTo(from, MS_PER_DAY);
  const dayTo = floorTo(to - 1, MS_PER_DAY) + MS_PER_DAY;
  const dayHours = await flowHoursBetween(trx, channelId, dayFrom, dayTo);
  const days = new Map<number, { volume: number; ping_count: number }>();
  for (const h of dayHours) {
    const day = floorTo(h.hour_start, MS_PER_DAY);
    const total = days.get(day) ?? { volume: 0, ping_count: 0 };
    total.volume += h.volume;
    total.ping_count += h.ping_count;
    days.set(day, total);
  }
  await trx.deleteFrom('flow_days').where('channel_id', '=', channelId).where('day_start', '>=', dayFrom).where('day_start', '<', dayTo).execute();
  const dayRows = [...days].map(([day_start, t]) => ({ channel_id: channelId, day_start, ...t }));
  for (let i = 0; i < dayRows.length; i += 1000) await trx.insertInto('flow_days').values(dayRows.slice(i, i + 1000)).execute();
}
