import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import { api, must } from '../../lib/api';
import { prefetched } from './prefetch';

/** `GET /api/flowline/v1/channels/{id}/series`: columnar buckets, t in epoch seconds, null gaps. */
export async function fetchSeries(id: number, from: number, to: number, width: number) {
  const query = { from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString(), width };
  return must(api.GET('/api/flowline/v1/channels/{id}/series', { params: { path: { id }, query } }));
}

export type SeriesAnswer = Awaited<ReturnType<typeof fetchSeries>>;

/**
 * The `width` asked for: the chart column's width in CSS pixels, from the window's width and
 * the page's fixed paddings (main ≤ 1200 px, its padding, the card's), so that the route's
 * loader and the page ask for the same key before anything is laid out.
 */
export function chartWidth(): number {
  const viewport = typeof window === 'undefined' ? 1280 : window.innerWidth;
  const main = Math.min(viewport, 1200) - (viewport <= 720 ? 2 * 14.4 : 2 * 20);
  return Math.max(100, Math.min(4000, Math.round(main - 2 * 20 - 2)));
}

/**
 * Keyed by channel, range and width, as the study suggests; the previous data stays drawn while
 * the next loads. The query function takes no abort signal: with one, react-query cancels and
 * re-sends a request whose observer remounts, and the route's prefetched answer was lost.
 */
export const seriesKey = (channelId: number, from: number, to: number, width: number) => ['series', channelId, from, to, width] as const;

export const seriesQuery = (channelId: number, from: number, to: number, width: number, refetchMs: number | false) =>
  queryOptions({
    queryKey: seriesKey(channelId, from, to, width),
    queryFn: () => prefetched(seriesKey(channelId, from, to, width), () => fetchSeries(channelId, from, to, width)),
    placeholderData: keepPreviousData,
    refetchInterval: refetchMs,
    staleTime: 30_000,
  });
