import { ERRORS } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Scope } from './scope.js';
import type { Channel } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Bucket widths a series may use, finest first. The finest three are aggregated from raw
 * readings: with at most MAX_SERIES_WIDTH buckets, the widest raw range is 15 min × 4000 ≈ 42
 * days. From 1 h up the database reads the hourly or daily rollups instead.
 */
export const SERIES_LADDER_MS = [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 6 * HOUR, DAY] as const;
export const MAX_SERIES_WIDTH = 4000;
export const DEFAULT_SERIES_WIDTH = 1000;
export const DEFAULT_SERIES_RANGE_MS = DAY;
/** Five years (with their leap days). */
export const MAX_SERIES_RANGE_MS = (5 * 365 + 2) * DAY;

/** The finest ladder width giving at most `width` buckets over `rangeMs`; the coarsest when none does. */
export function seriesInterval(rangeMs: number, width: number): number {
  return SERIES_LADDER_MS.find((interval) => Math.ceil(rangeMs / interval) <= width) ?? SERIES_LADDER_MS.at(-1)!;
}

export interface SeriesRequest {
  from: number;
  to: number;
  /** About as many buckets as the chart has pixels. */
  width: number;
}

/** Columnar, every bucket of the range present: `count` 0 and nulls where there was no reading. */
export interface ChannelSeries {
  channel: Channel;
  intervalMs: number;
  /** The whole buckets covering the requested range: [from, to) aligned out to the interval. */
  from: number;
  to: number;
  starts: number[];
  min: (number | null)[];
  max: (number | null)[];
  avg: (number | null)[];
  last: (number | null)[];
  count: number[];
}

export async function channelSeries(store: Store, scope: Scope, channelId: number, request: SeriesRequest): Promise<ChannelSeries> {
  const { from, to, width } = request;
  if (from >= to) throw ERRORS.invalidRequest('The range is empty or reversed: "from" must be before "to".');
  if (to - from > MAX_SERIES_RANGE_MS) throw ERRORS.invalidRequest('The range is longer than five years; ask for a shorter one.');
  const intervalMs = seriesInterval(to - from, width);
  const start = Math.floor(from / intervalMs) * intervalMs;
  const end = Math.ceil(to / intervalMs) * intervalMs;
  // Side by side: the series query is scoped itself (empty for a channel the scope cannot see).
  const [channel, buckets] = await Promise.all([store.getChannel(scope, channelId), store.channelSeries(scope, { channelId, from: start, to: end, intervalMs })]);
  if (!channel) throw ERRORS.notFound('Channel');
  const n = (end - start) / intervalMs;
  const series: ChannelSeries = {
    channel,
    intervalMs,
    from: start,
    to: end,
    starts: Array.from({ length: n }, (_, i) => start + i * intervalMs),
    min: new Array<number | null>(n).fill(null),
    max: new Array<number | null>(n).fill(null),
    avg: new Array<number | null>(n).fill(null),
    last: new Array<number | null>(n).fill(null),
    count: new Array<number>(n).fill(0),
  };
  for (const b of buckets) {
    const i = (b.start - start) / intervalMs;
    series.min[i] = b.min;
    series.max[i] = b.max;
    series.avg[i] = b.avg;
    series.last[i] = b.last;
    series.count[i] = b.count;
  }
  return series;
}
