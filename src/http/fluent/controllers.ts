import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  alarmHistory,
  controllerBySerial,
  dataChannels,
  downsampledHistory,
  readingHistory,
} from '../../domain/history.js';
import type { Clock } from '../../domain/time.js';
import { formatIsoMillis, parseIsoTime } from '../../domain/time.js';
import type { AlarmSeverity } from '../../domain/types.js';
import { ERRORS } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { fluentAlarm, fluentChannelInfo, fluentReading } from '../../wire/fluent.js';
import {
  ActiveAlarmsSchema,
  AlarmHistoryQuerySchema,
  AlarmHistorySchema,
  ControllerListSchema,
  CurrentReadingsSchema,
  fluentErrors,
  HierarchySchema,
  ReadingsPageSchema,
  ReadingsQuerySchema,
  SerialParamsSchema,
} from './schemas.js';

const DAY_MS = 86_400_000;
const SEVERITIES: readonly AlarmSeverity[] = ['info', 'warning', 'critical'];
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

const iso = formatIsoMillis;

function timeParam(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseIsoTime(text);
  if (ms === null) throw ERRORS.invalidRequest(`"${name}" is not a valid ISO 8601 date-time: "${text}".`);
  return ms;
}

/** `end` defaults to now and `start` to a day before it; a reversed range is refused. */
function rangeParams(query: { start?: string; end?: string }, now: number): { from: number; to: number } {
  const to = timeParam(query.end, 'end') ?? now;
  const from = timeParam(query.start, 'start') ?? to - DAY_MS;
  if (from > to) throw ERRORS.invalidRequest('The range is reversed: "start" is after "end".');
  return { from, to };
}

/** Repeated parameters and comma-separated values are the same list. */
const listParam = (values: string[] | undefined) => values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');

function intervalSeconds(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text)!;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
  if (seconds < 1 || seconds > 366 * 86_400) throw ERRORS.invalidRequest(`"interval" must be from 1 second to 366 days, not "${text}".`);
  return seconds;
}

/** The Fluent `controller` tag: the three paths real clients call, and the history beside them. */
export const fluentControllerRoutes: FastifyPluginAsyncTypebox<{ store: Store; clock: Clock }> = async (app, { store, clock }) => {
  const channelsById = async (scope: Parameters<Store['listChannels']>[0], controllerId: number) =>
    new Map((await store.listChannels(scope, { controllerId })).map((c) => [c.id, c]));

  app.get(
    '/controller/list/',
    {
      schema: {
        tags: ['controller'],
        operationId: 'fluent.controllerList',
        summary: 'Serial numbers of your controllers',
        response: { 200: ControllerListSchema, ...fluentErrors },
      },
    },
    async (request) => {
      const controllers = await store.listControllers(request.scope);
      return { 'controller-list': controllers.map((c) => c.serialNumber) };
    },
  );

  app.get(
    '/controller/current-readings/:serial',
    {
      schema: {
        tags: ['controller'],
        operationId: 'fluent.currentReadings',
        summary: 'The latest value of each channel of a controller',
        description: 'Channels assigned to a process (only their data is stored), inputs first. A channel without a value yet has no `subchannel`.',
        params: SerialParamsSchema,
        response: { 200: CurrentReadingsSchema, ...fluentErrors },
      },
    },
    async (request) => {
      const controller = await controllerBySerial(store, request.scope, request.params.serial);
      const channels = await dataChannels(store, request.scope, controller);
      return {
        'serial-number': controller.serialNumber,
        readings: channels.map((c) => fluentReading(c, c.latestValue, c.latestTime)),
      };
    },
  );

  app.get(
    '/controller/active-alarms/:serial',
    {
      schema: {
        tags: ['controller'],
        operationId: 'fluent.activeAlarms',
        summary: 'The alarms active on a controller now',
        params: SerialParamsSchema,
        response: { 200: ActiveAlarmsSchema, ...fluentErrors },
      },
    },
    async (request) => {
      const controller = await controllerBySerial(store, request.scope, request.params.serial);
      const [alarms, channels] = await Promise.all([
        store.listAlarms(request.scope, { controllerId: controller.id, activeOnly: true, limit: 1000 }),
        channelsById(request.scope, controller.id),
      ]);
      return { 'alarm-info': alarms.map((a) => fluentAlarm(a, a.channelId === null ? undefined : channels.get(a.channelId))) };
    },
  );

  app.get(
    '/controller/hierarchy/:serial',
    {
      schema: {
        tags: ['controller'],
        operationId: 'fluent.hierarchy',
        summary: 'Where a controller sits: customer, facility, and its processes with their channels',
        params: SerialParamsSchema,
        response: { 200: HierarchySchema, ...fluentErrors },
      },
    },
    async (request) => {
      const { scope } = request;
      const controller = await controllerBySerial(store, scope, request.params.serial);
      const [customer, facility, processes, channels] = await Promise.all([
        store.getCustomer(scope, controller.customerId),
        store.getFacility(scope, controller.facilityId),
        store.listProcesses(scope, { controllerId: controller.id }),
        dataChannels(store, scope, controller),
      ]);
      if (!customer || !facility) throw ERRORS.notFound(`Controller ${controller.serialNumber}`);
      return {
        'serial-number': controller.serialNumber,
        'controller-name': controller.name,
        model: controller.model,
        'last-seen-at': controller.lastSeenAt === null ? null : iso(controller.lastSeenAt),
        customer: { 'customer-id': customer.id, 'customer-name': customer.name },
        facility: {
          'facility-id': facility.id,
          'facility-name': facility.name,
          address: facility.address,
          latitude: facility.latitude,
          longitude: facility.longitude,
          'time-zone': facility.timeZone,
        },
        processes: processes.map((p) => ({
          'process-id': p.id,
          'process-name': p.name,
          channels: channels.filter((c) => c.processId === p.id).map(fluentChannelInfo),
        })),
      };
    },
  );

  app.get(
    '/controller/readings/:serial',
    {
      schema: {
        tags: ['controller'],
        operationId: 'fluent.readings',
        summary: 'Readings of a controller over a time range, raw or downsampled',
        description:
          'The range is half-open, [start, end). Pages are chained with `next-cursor`, which stays correct while new readings arrive: ' +
          'a page continues strictly after the last row of the one before. With `interval`, each channel\'s readings are aggregated per ' +
          'interval by the database (min, max, avg, last, count); a page then holds up to `limit` intervals and never splits one.',
        params: SerialParamsSchema,
        querystring: ReadingsQuerySchema,
        response: { 200: ReadingsPageSchema, ...fluentErrors },
      },
    },
    async (request) => {
      const { scope, query } = request;
      const controller = await controllerBySerial(store, scope, request.params.serial);
      const channelNumbers = listParam(query.channel);
      const channels = await dataChannels(store, scope, controller, {
        ...(query.process !== undefined ? { processId: query.process } : {}),
        ...(channelNumbers ? { channelNumbers } : {}),
      });
      const { from, to } = rangeParams(query, clock.now());
      const order = query.order ?? 'asc';
      const range = { from, to, order, limit: query.limit ?? 1000, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) };
      const numberOf = new Map(channels.map((c) => [c.id, c.number]));
      const page = { 'serial-number': controller.serialNumber, start: iso(from), end: iso(to), order, channels: channels.map(fluentChannelInfo) };
      if (query.interval === undefined) {
        const { readings, nextCursor } = await readingHistory(store, scope, channels, range);
        return {
          ...page,
          readings: readings.map((r) => ({ 'channel-number': numberOf.get(r.channelId)!, time: iso(r.time), value: r.value })),
          'next-cursor': nextCursor,
        };
      }
      const seconds = intervalSeconds(query.interval);
      const { buckets, nextCursor } = await downsampledHistory(store, scope, channels, { ...range, intervalMs: seconds * 1000 });
      return {
        ...page,
        interval: seconds,
        intervals: buckets.map((b) => ({
          'channel-number': numberOf.get(b.channelId)!,
          time: iso(b.start),
          min: b.min,
          max: b.max,
          avg: b.avg,
          last: b.last,
          count: b.count,
        })),
        'next-cursor': nextCursor,
      };
    },
  );

  app.get(
    '/controller/alarm-history/:serial',
    {
      schema: {
        tags: ['controller'],
        operationId: 'fluent.alarmHistory',
        summary: 'Alarms of a controller, active and cleared, newest first',
        description: 'Filter by when they were raised ([start, end)) and by severity; pages are chained with `next-cursor`.',
        params: SerialParamsSchema,
        querystring: AlarmHistoryQuerySchema,
        response: { 200: AlarmHistorySchema, ...fluentErrors },
      },
    },
    async (request) => {
      const { scope, query } = request;
      const controller = await controllerBySerial(store, scope, request.params.serial);
      const from = timeParam(query.start, 'start');
      const to = timeParam(query.end, 'end');
      if (from !== undefined && to !== undefined && from > to) throw ERRORS.invalidRequest('The range is reversed: "start" is after "end".');
      const severities = listParam(query.severity);
      const unknown = severities?.filter((s) => !SEVERITIES.includes(s as AlarmSeverity));
      if (unknown && unknown.length > 0) throw ERRORS.invalidRequest(`Unknown severity "${unknown[0]}"; use ${SEVERITIES.join(', ')}.`);
      const [{ alarms, nextCursor }, channels] = await Promise.all([
        alarmHistory(store, scope, controller, {
          limit: query.limit ?? 1000,
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          ...(severities && severities.length > 0 ? { severities: severities as AlarmSeverity[] } : {}),
          ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
        }),
        channelsById(scope, controller.id),
      ]);
      return { 'serial-number': controller.serialNumber, 'alarm-info': alarms.map((a) => fluentAlarm(a, a.channelId === null ? undefined : channels.get(a.channelId))), 'next-cursor': nextCursor };
    },
  );
};

