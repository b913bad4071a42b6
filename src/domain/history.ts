import { ERRORS } from '../errors.js';
import type { ReadingBucket, Store } from '../store/store.js';
import type { Scope } from './scope.js';
import type { Alarm, AlarmSeverity, Channel, Controller, Reading } from './types.js';

/**
 * A controller's data over time, a page at a time: raw readings, readings downsampled into
 * buckets, and alarm history. Pages are chained by opaque keyset cursors, so a client walking
 * a range never sees a row twice or skips one while new data arrives (an offset would shift).
 */

/** Channels a single history request may span (each is one index range scan per page). */
export const MAX_HISTORY_CHANNELS = 100;

export async function controllerBySerial(store: Store, scope: Scope, serial: string): Promise<Controller> {
  const controller = await store.getControllerBySerial(scope, serial);
  if (!controller) throw ERRORS.notFound(`Controller ${serial}`);
  return controller;
}

/** Inputs before outputs, then by the number in the channel's name (S2 before S11). */
export function byChannelNumber(a: Channel, b: Channel): number {
  if (a.kind !== b.kind) return a.kind === 'input' ? -1 : 1;
  const n = (c: Channel) => Number(/\d+/.exec(c.number)?.[0] ?? Number.MAX_SAFE_INTEGER);
  return n(a) - n(b) || a.number.localeCompare(b.number);
}

/**
 * The channels of a controller whose data is stored (those assigned to a process, seed 000),
 * narrowed to one process and/or some channel numbers. An unknown process is not found; an
 * unknown channel number is a bad request that names it.
 */
export async function dataChannels(
  store: Store,
  scope: Scope,
  controller: Controller,
  filter: { processId?: number; channelNumbers?: string[] } = {},
): Promise<Channel[]> {
  const channels = (await store.listChannels(scope, { controllerId: controller.id })).filter((c) => c.processId !== null);
  let chosen = channels;
  if (filter.processId !== undefined) {
    chosen = chosen.filter((c) => c.processId === filter.processId);
    if (chosen.length === 0) {
      const processes = await store.listProcesses(scope, { controllerId: controller.id });
      if (!processes.some((p) => p.id === filter.processId)) throw ERRORS.notFound(`Process ${filter.processId} of controller ${controller.serialNumber}`);
    }
  }
  if (filter.channelNumbers !== undefined && filter.channelNumbers.length > 0) {
    const wanted = new Set(filter.channelNumbers);
    const unknown = [...wanted].filter((number) => !chosen.some((c) => c.number === number));
    if (unknown.length > 0) {
      const known = chosen.map((c) => c.number).sort().join(', ');
      throw ERRORS.invalidRequest(`Unknown channel ${unknown.map((u) => `"${u}"`).join(', ')}; the channels here are: ${known || 'none'}.`);
    }
    chosen = chosen.filter((c) => wanted.has(c.number));
  }
  if (chosen.length > MAX_HISTORY_CHANNELS) throw ERRORS.invalidRequest(`A request spans at most ${MAX_HISTORY_CHANNELS} channels; choose some with "channel".`);
  return chosen.sort(byChannelNumber);
}

export type Order = 'asc' | 'desc';

export interface HistoryRange {
  /** Half-open [from, to), epoch ms. */
  from: number;
  to: number;
  order: Order;
  limit: number;
  cursor?: string;
}

// --- cursors -------------------------------------------------------------------------------

type CursorKind = 'readings' | 'buckets' | 'alarms';
const CURSOR_TAGS: Record<CursorKind, string> = { readings: 'r', buckets: 'b', alarms: 'a' };

function encodeCursor(kind: CursorKind, parts: (string | number)[]): string {
  return Buffer.from([CURSOR_TAGS[kind], ...parts].join(':')).toString('base64url');
}

/** The integer fields of a cursor made by `encodeCursor` for the same kind (and order). */
function decodeCursor(kind: CursorKind, cursor: string, order: Order | null, fields: number): number[] {
  const invalid = () => ERRORS.invalidRequest('"cursor" is not a cursor this query gave out; start again without it.');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  const [tag, ...rest] = parts;
  if (tag !== CURSOR_TAGS[kind]) throw invalid();
  let values = rest;
  if (order !== null) {
    if (values[0] !== 'asc' && values[0] !== 'desc') throw invalid();
    if (values[0] !== order) throw ERRORS.invalidRequest(`"cursor" belongs to a query in ${values[0] === 'asc' ? 'ascending' : 'descending'} order; keep "order" as it was.`);
    values = values.slice(1);
  }
  if (values.length !== fields || !values.every((v) => /^\d{1,16}$/.test(v))) throw invalid();
  return values.map(Number);
}

// --- raw readings --------------------------------------------------------------------------

export async function readingHistory(store: Store, scope: Scope, channels: Channel[], range: HistoryRange): Promise<{ readings: Reading[]; nextCursor: string | null }> {
  let after: { time: number; channelId: number } | undefined;
  if (range.cursor !== undefined) {
    const [time, channelId] = decodeCursor('readings', range.cursor, range.order, 2) as [number, number];
    after = { time, channelId };
  }
  const readings = await store.listReadingsPage(scope, {
    channelIds: channels.map((c) => c.id),
    from: range.from,
    to: range.to,
    order: range.order,
    limit: range.limit,
    ...(after ? { after } : {}),
  });
  const last = readings.at(-1);
  const nextCursor = readings.length === range.limit && last ? encodeCursor('readings', [range.order, last.time, last.channelId]) : null;
  return { readings, nextCursor };
}

// --- downsampled readings ------------------------------------------------------------------

const alignDown = (time: number, interval: number) => time - (time % interval);

/**
 * A page holds up to `limit` consecutive buckets (each with a row per channel that has data)
 * and never splits a bucket. Empty stretches are skipped by starting each page at the next
 * reading, so a sparse range does not produce empty pages.
 */
export async function downsampledHistory(
  store: Store,
  scope: Scope,
  channels: Channel[],
  range: HistoryRange & { intervalMs: number },
): Promise<{ buckets: ReadingBucket[]; nextCursor: string | null }> {
  const { intervalMs: interval, order } = range;
  const channelIds = channels.map((c) => c.id);
  let from = range.from;
  let to = range.to;
  if (range.cursor !== undefined) {
    const [boundary] = decodeCursor('buckets', range.cursor, order, 1) as [number];
    if (order === 'asc') from = Math.max(from, boundary);
    else to = Math.min(to, boundary);
  }
  const done = { buckets: [], nextCursor: null };
  if (from >= to || channelIds.length === 0) return done;
  const [nearest] = await store.listReadingsPage(scope, { channelIds, from, to, order, limit: 1 });
  if (!nearest) return done;

  let pageFrom: number;
  let pageTo: number;
  if (order === 'asc') {
    const first = alignDown(nearest.time, interval);
    pageFrom = Math.max(from, first);
    pageTo = Math.min(to, first + range.limit * interval);
  } else {
    const top = alignDown(nearest.time, interval);
    pageFrom = Math.max(from, top - (range.limit - 1) * interval);
    pageTo = Math.min(to, top + interval);
  }
  const buckets = await store.downsampleReadings(scope, { channelIds, from: pageFrom, to: pageTo, intervalMs: interval });
  if (order === 'desc') buckets.reverse();
  const more = order === 'asc' ? pageTo < to : pageFrom > from;
  return { buckets, nextCursor: more ? encodeCursor('buckets', [order, order === 'asc' ? pageTo : pageFrom]) : null };
}

// --- alarms --------------------------------------------------------------------------------

export interface AlarmHistoryQuery {
  from?: number;
  to?: number;
  severities?: AlarmSeverity[];
  limit: number;
  cursor?: string;
}

/** A controller's alarms, active and cleared, newest first. */
export async function alarmHistory(store: Store, scope: Scope, controller: Controller, query: AlarmHistoryQuery): Promise<{ alarms: Alarm[]; nextCursor: string | null }> {
  let before: { raisedAt: number; id: number } | undefined;
  if (query.cursor !== undefined) {
    const [raisedAt, id] = decodeCursor('alarms', query.cursor, null, 2) as [number, number];
    before = { raisedAt, id };
  }
  const alarms = await store.listAlarms(scope, {
    controllerId: controller.id,
    limit: query.limit,
    ...(query.from !== undefined ? { raisedFrom: query.from } : {}),
    ...(query.to !== undefined ? { raisedTo: query.to } : {}),
    ...(query.severities ? { severities: query.severities } : {}),
    ...(before ? { before } : {}),
  });
  const last = alarms.at(-1);
  return { alarms, nextCursor: alarms.length === query.limit && last ? encodeCursor('alarms', [last.raisedAt, last.id]) : null };
}
