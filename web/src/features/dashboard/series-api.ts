import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import { api, must } from '../../lib/api';

/** `GET /api/flowline/v1/channels/{id}/series`: columnar buckets, t in epoch seconds, null gaps. */
async function fetchSeries(id: number, from: number, to: number, width: number, signal: AbortSignal) {
  const query = { from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString(), width };
  return must(api.GET('/api/flowline/v1/channels/{id}/series', { params: { path: { id }, query }, signal }));
}

export type SeriesAnswer = Awaited<ReturnType<typeof fetchSeries>>;

/** Keyed by channel, range and width, as the study suggests; the previous data stays drawn while the next loads. */
export const seriesQuery = (channelId: number, from: number, to: number, width: number, refetchMs: number | false) =>
  queryOptions({
    queryKey: ['series', channelId, from, to, width],
    queryFn: ({ signal }) => fetchSeries(channelId, from, to, width, signal),
    placeholderData: keepPreviousData,
    refetchInterval: refetchMs,
    staleTime: 30_000,
  });
