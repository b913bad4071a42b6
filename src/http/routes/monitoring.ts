import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { alarms, channelReadings, controllersWithChannels } from '../../domain/monitoring.js';
import { formatIsoMillis, parseIsoTime } from '../../domain/time.js';
import { ERRORS } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { IdParamSchema, IsoTimeInputSchema, IsoTimeSchema, nativeErrors, Nullable } from '../schemas/common.js';

const NullableNumber = Nullable(Type.Number());
const NullableTime = Nullable(IsoTimeSchema);

const ChannelSchema = Type.Object({
  id: Type.Integer(),
  number: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  type: Type.String(),
  unit: Nullable(Type.String()),
  process_id: Nullable(Type.Integer()),
  latest_value: NullableNumber,
  latest_time: NullableTime,
});

const ControllerSchema = Type.Object({
  id: Type.Integer(),
  serial_number: Type.String(),
  name: Type.String(),
  model: Type.String(),
  facility_id: Type.Integer(),
  last_seen_at: NullableTime,
  channels: Type.Array(ChannelSchema),
});

const ReadingSchema = Type.Object({ id: Type.Integer(), time: IsoTimeSchema, value: Type.Number() });

const SeveritySchema = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);

const AlarmSchema = Type.Object({
  id: Type.Integer(),
  controller_id: Type.Integer(),
  channel_id: Nullable(Type.Integer()),
  type: Type.String(),
  code: Type.Integer(),
  severity: Type.String(),
  message: Type.String(),
  raised_at: IsoTimeSchema,
  cleared_at: NullableTime,
});

const iso = (ms: number | null) => (ms === null ? null : formatIsoMillis(ms));

function timeParam(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseIsoTime(text);
  if (ms === null) throw ERRORS.invalidRequest(`"${name}" is not a valid ISO 8601 date-time.`);
  return ms;
}

/**
 * Flowline's own read API: the data behind the dashboard (controllers with latest values,
 * a channel's readings, alarms), scoped to the caller's customer like every face.
 */
export const monitoringRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/controllers',
    { schema: { tags: ['monitoring'], operationId: 'monitoring.controllers', summary: 'Controllers with their channels and latest values', response: { 200: Type.Object({ controllers: Type.Array(ControllerSchema) }), ...nativeErrors } } },
    async (request) => {
      const list = await controllersWithChannels(store, request.scope);
      return {
        controllers: list.map(({ controller: c, channels }) => ({
          id: c.id,
          serial_number: c.serialNumber,
          name: c.name,
          model: c.model,
          facility_id: c.facilityId,
          last_seen_at: iso(c.lastSeenAt),
          channels: channels.map((ch) => ({
            id: ch.id,
            number: ch.number,
            name: ch.name,
            kind: ch.kind,
            type: ch.type,
            unit: ch.unit,
            process_id: ch.processId,
            latest_value: ch.latestValue,
            latest_time: iso(ch.latestTime),
          })),
        })),
      };
    },
  );

  app.get(
    '/channels/:id/readings',
    {
      schema: {
        tags: ['monitoring'],
        operationId: 'monitoring.channelReadings',
        summary: "A channel's readings in a time range, newest first by default",
        params: Type.Object({ id: IdParamSchema }),
        querystring: Type.Object({
          from: Type.Optional(IsoTimeInputSchema),
          to: Type.Optional(IsoTimeInputSchema),
          order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })),
        }),
        response: { 200: Type.Object({ channel_id: Type.Integer(), readings: Type.Array(ReadingSchema) }), ...nativeErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const { channel, readings } = await channelReadings(store, request.scope, request.params.id, {
        from: timeParam(q.from, 'from'),
        to: timeParam(q.to, 'to'),
        order: q.order ?? 'desc',
        limit: q.limit ?? 100,
      });
      return { channel_id: channel.id, readings: readings.map((r) => ({ id: r.id, time: formatIsoMillis(r.time), value: r.value })) };
    },
  );

  app.get(
    '/alarms',
    {
      schema: {
        tags: ['monitoring'],
        operationId: 'monitoring.alarms',
        summary: 'Alarms, newest first; only those still active with `active=true`',
        description: 'Filters combine: `controller_id`, `severity`, and `from`/`to` bound `raised_at` (half-open, [from, to)).',
        querystring: Type.Object({
          active: Type.Optional(Type.Boolean({ default: false })),
          controller_id: Type.Optional(IdParamSchema),
          severity: Type.Optional(SeveritySchema),
          from: Type.Optional(IsoTimeInputSchema),
          to: Type.Optional(IsoTimeInputSchema),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: { 200: Type.Object({ alarms: Type.Array(AlarmSchema) }), ...nativeErrors },
      },
    },
    async (request) => {
      const q = request.query;
      const list = await alarms(store, request.scope, {
        activeOnly: q.active ?? false,
        limit: q.limit ?? 100,
        controllerId: q.controller_id,
        severity: q.severity,
        from: timeParam(q.from, 'from'),
        to: timeParam(q.to, 'to'),
      });
      return {
        alarms: list.map((a) => ({
          id: a.id,
          controller_id: a.controllerId,
          channel_id: a.channelId,
          type: a.type,
          code: a.code,
          severity: a.severity,
          message: a.message,
          raised_at: formatIsoMillis(a.raisedAt),
          cleared_at: iso(a.clearedAt),
        })),
      };
    },
  );
};
