import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { channelSeries, DEFAULT_SERIES_RANGE_MS, DEFAULT_SERIES_WIDTH, MAX_SERIES_WIDTH } from '../../domain/series.js';
import { formatIsoMillis, parseIsoTime, type Clock } from '../../domain/time.js';
import { ERRORS } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { IdParamSchema, IsoTimeInputSchema, IsoTimeSchema, nativeErrors, Nullable } from '../schemas/common.js';

const Values = Type.Array(Nullable(Type.Number()), { description: 'One per bucket; null where the bucket had no reading.' });

const SeriesSchema = Type.Object({
  channel_id: Type.Integer(),
  unit: Nullable(Type.String()),
  interval: Type.Integer({ description: 'Bucket width in seconds, from the ladder 60, 300, 900, 3600, 21600, 86400.' }),
  from: IsoTimeSchema,
  to: IsoTimeSchema,
  t: Type.Array(Type.Integer(), { description: 'Bucket starts, epoch seconds (UTC), every bucket of [from, to).' }),
  min: Values,
  max: Values,
  avg: Values,
  last: Values,
  count: Type.Array(Type.Integer()),
});

function timeParam(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseIsoTime(text);
  if (ms === null) throw ERRORS.invalidRequest(`"${name}" is not a valid ISO 8601 date-time.`);
  return ms;
}

/** A chart's data: a channel's readings downsampled in the database to about `width` buckets. */
export const seriesRoutes: FastifyPluginAsyncTypebox<{ store: Store; clock: Clock }> = async (app, { store, clock }) => {
  app.get(
    '/channels/:id/series',
    {
      schema: {
        tags: ['monitoring'],
        operationId: 'monitoring.channelSeries',
        summary: "A channel's readings as chart buckets: min, max, average and last per bucket, about `width` buckets",
        description:
          'The bucket width is the finest of 1 min, 5 min, 15 min, 1 h, 6 h and 1 d giving at most `width` buckets over the range; ' +
          'buckets start at whole multiples of it (UTC) and the range is widened to whole buckets. ' +
          'Defaults: the 24 hours up to now. The range must not exceed five years.',
        params: Type.Object({ id: IdParamSchema }),
        querystring: Type.Object({
          from: Type.Optional(IsoTimeInputSchema),
          to: Type.Optional(IsoTimeInputSchema),
          width: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SERIES_WIDTH, default: DEFAULT_SERIES_WIDTH, description: 'About how many points the chart can show (its width in pixels).' })),
        }),
        response: { 200: SeriesSchema, ...nativeErrors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const to = timeParam(q.to, 'to') ?? clock.now();
      const from = timeParam(q.from, 'from') ?? to - DEFAULT_SERIES_RANGE_MS;
      const s = await channelSeries(store, request.scope, request.params.id, { from, to, width: q.width ?? DEFAULT_SERIES_WIDTH });
      // Per user, and live data moves on: a short private lifetime spares a chart's re-renders.
      reply.header('Cache-Control', 'private, max-age=10');
      // The answer depends on who asks (the cookie or the Authorization header): a cache keeps one per credential.
      reply.header('Vary', 'Cookie, Authorization');
      return {
        channel_id: s.channel.id,
        unit: s.channel.unit,
        interval: s.intervalMs / 1000,
        from: formatIsoMillis(s.from),
        to: formatIsoMillis(s.to),
        t: s.starts.map((ms) => ms / 1000),
        min: s.min,
        max: s.max,
        avg: s.avg,
        last: s.last,
        count: s.count,
      };
    },
  );
};
