import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import {
  countPings,
  flowVolume,
  flowVolumeHours,
  getFlowSensor,
  hourCount,
  listFlowSensors,
  pingsPage,
  type FlowSensor,
} from '../../domain/flow-sensors.js';
import type { Scope } from '../../domain/scope.js';
import { formatIsoSeconds, parseIsoTime } from '../../domain/time.js';
import { ERRORS } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { Reading } from '../../domain/types.js';
import { ResponseCache } from '../response-cache.js';
import { envelope, PAGE_SIZE, resolvePage } from './pagination.js';
import {
  detailErrors,
  FlowSensorPageSchema,
  FlowSensorSchema,
  FlowVolumeHourPageSchema,
  FlowVolumeSchema,
  PageQuerySchema,
  PingPageSchema,
  PingQuerySchema,
  SensorParamsSchema,
  VolumeParamsSchema,
  lastOf,
  isoSeconds as iso,
} from './schemas.js';

const VOLUME_SEMANTICS =
  'Flowrate is in barrels per day and linear between consecutive pings (trapezoid rule); volume is its integral over time in days, in barrels. ' +
  'The range is half-open, [START, END): trapezoids are cut at the bounds by linear interpolation. Nothing is counted before the first ping or after the last one, ' +
  'and a gap between two pings is bridged linearly like any other segment. START and END are ISO 8601; without an offset they are UTC.';

/**
 * Volumes are sums of floating-point rollups; twelve significant digits hide the last-ulp
 * noise (24 hours of 1000 bbl/day read 1000, not 999.9999999999997) while staying far
 * inside the 1e-9 agreement between the hourly rows and the total.
 */
const barrels = (volume: number) => Number(volume.toPrecision(12));

async function sensorById(store: Store, scope: Scope, id: string): Promise<FlowSensor> {
  const numeric = Number(id);
  if (!Number.isSafeInteger(numeric)) throw ERRORS.notFound('Flow sensor');
  return getFlowSensor(store, scope, numeric);
}

function timeParam(text: string, name: string): number {
  const ms = parseIsoTime(text);
  if (ms === null) throw ERRORS.invalidRequest(`${name} "${text}" is not a valid ISO 8601 date-time.`);
  return ms;
}

function rangeParams(params: { start: string; end: string }): { from: number; to: number } {
  const from = timeParam(params.start, 'START');
  const to = timeParam(params.end, 'END');
  if (to < from) throw ERRORS.invalidRequest('END is before START.');
  return { from, to };
}

/**
 * A page of pings as JSON text, written by hand: it is the hot path of this face (clients poll
 * it), a thousand rows that share their sensor fields, and the generic serialiser spent most of
 * the request on them. PingSchema still describes the rows (tests hold the two together).
 */
function pingsJson(sensor: FlowSensor, pings: readonly Reading[]): string {
  const shared = JSON.stringify(sensorFields(sensor)).slice(1, -1);
  const rows = pings.map((p) => `{"id":${p.id},${shared},"flowrate":${JSON.stringify(p.value)},"datetime":"${formatIsoSeconds(p.time)}"}`);
  return `[${rows.join(',')}]`;
}

const CLOSE_BRACE = Buffer.from('}');

/** Sends bytes that are already the JSON answer; Fastify skips the response serialiser for them. */
function sendJson(reply: FastifyReply, json: Buffer): FastifyReply {
  return reply.type('application/json').send(json);
}

const sensorFields = (s: FlowSensor) => ({ sensor_id: s.controller.id, sensor_name: s.controller.name, sensor_tag: s.controller.tag });

/** A flow sensor as the list has it in `results`, and its detail route answers it. */
const sensorJson = (s: FlowSensor) => ({
  id: s.controller.id,
  name: s.controller.name,
  latitude: s.latitude,
  longitude: s.longitude,
  pipe_diameter: s.controller.pipeDiameter,
  last_ping_flowrate: s.channel?.latestValue ?? null,
  last_ping_datetime: iso(s.channel?.latestTime ?? null),
  activated_at: iso(s.controller.activatedAt),
  tag: s.controller.tag,
});

/** Serialised ping pages kept per app: 32 MB is about 240 pages of 1000 pings. */
const PAGE_CACHE_BYTES = 32 * 1024 * 1024;

/** `/api/v1/flow_sensors/…` as the FlowCommand API document describes it. */
export const flowSensorRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  const pageCache = new ResponseCache(PAGE_CACHE_BYTES);

  app.get(
    '/flow_sensors/',
    {
      schema: {
        tags: ['flow_sensors'],
        operationId: 'flowcommand.flowSensors.list',
        summary: 'Get all flow sensors, ordered by id',
        querystring: PageQuerySchema,
        response: { 200: FlowSensorPageSchema, ...detailErrors },
      },
    },
    async (request) => {
      const sensors = await listFlowSensors(store, request.scope);
      const page = resolvePage(lastOf(request.query.page), sensors.length);
      return envelope(request, sensors.length, page, sensors.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map(sensorJson));
    },
  );

  // The detail route Django REST Framework's router gives every list.
  app.get(
    '/flow_sensors/:id(^\\d+)/',
    {
      schema: {
        tags: ['flow_sensors'],
        operationId: 'flowcommand.flowSensors.get',
        summary: 'One flow sensor, as the list shows it',
        params: SensorParamsSchema,
        response: { 200: FlowSensorSchema, ...detailErrors },
      },
    },
    async (request) => sensorJson(await sensorById(store, request.scope, request.params.id)),
  );

  app.get(
    '/flow_sensors/:id(^\\d+)/pings/',
    {
      schema: {
        tags: ['flow_sensors'],
        operationId: 'flowcommand.flowSensors.pings',
        summary: "Get a flow sensor's pings, newest first",
        description: '`start` and `end` are inclusive bounds: pings with `datetime >= start` and `datetime <= end`.',
        params: SensorParamsSchema,
        querystring: PingQuerySchema,
        response: { 200: PingPageSchema, ...detailErrors },
      },
    },
    async (request, reply) => {
      const sensor = await sensorById(store, request.scope, request.params.id);
      const start = lastOf(request.query.start);
      const end = lastOf(request.query.end);
      const filter = {
        start: start === undefined ? undefined : timeParam(start, 'start'),
        end: end === undefined ? undefined : timeParam(end, 'end'),
      };
      const count = await countPings(store, request.scope, sensor, filter);
      const page = resolvePage(lastOf(request.query.page), count);
      // Pings are never rewritten (first write wins) nor deleted, so the number of pings the
      // filter matches versions the page: any new ping in range changes the key.
      const key = [sensor.channel?.id, filter.start, filter.end, page, count, sensor.controller.name, sensor.controller.tag].join('|');
      // Kept as UTF-8 bytes: encoding 130 kB of text on every answer was the costliest step left.
      let results = pageCache.get(key);
      if (results === undefined) {
        const pings = await pingsPage(store, request.scope, sensor, filter, (page - 1) * PAGE_SIZE, PAGE_SIZE);
        results = Buffer.from(pingsJson(sensor, pings));
        pageCache.set(key, results);
      }
      const { next, previous } = envelope(request, count, page, []);
      const head = Buffer.from(`{"count":${count},"next":${JSON.stringify(next)},"previous":${JSON.stringify(previous)},"results":`);
      return sendJson(reply as FastifyReply, Buffer.concat([head, results, CLOSE_BRACE]));
    },
  );

  app.get(
    '/flow_sensors/:id(^\\d+)/flow_volume/:start/:end/',
    {
      schema: {
        tags: ['flow_sensors'],
        operationId: 'flowcommand.flowSensors.flowVolume',
        summary: 'Total flow volume (bbl) over [START, END)',
        description: VOLUME_SEMANTICS,
        params: VolumeParamsSchema,
        response: { 200: FlowVolumeSchema, ...detailErrors },
      },
    },
    async (request) => {
      const sensor = await sensorById(store, request.scope, request.params.id);
      const { from, to } = rangeParams(request.params);
      const volume = await flowVolume(store, request.scope, sensor, from, to);
      return { ...sensorFields(sensor), flow_volume: barrels(volume), start: formatIsoSeconds(from), end: formatIsoSeconds(to) };
    },
  );

  app.get(
    '/flow_sensors/:id(^\\d+)/flow_volume_hours/:start/:end/',
    {
      schema: {
        tags: ['flow_sensors'],
        operationId: 'flowcommand.flowSensors.flowVolumeHours',
        summary: 'Hourly flow volumes over [START, END), newest first',
        description: `${VOLUME_SEMANTICS} One row per UTC clock hour overlapping the range, each clipped to it (its start and end are the clipped bounds); hours without flow are 0. The rows add up to flow_volume over the same range.`,
        params: VolumeParamsSchema,
        querystring: PageQuerySchema,
        response: { 200: FlowVolumeHourPageSchema, ...detailErrors },
      },
    },
    async (request) => {
      const sensor = await sensorById(store, request.scope, request.params.id);
      const { from, to } = rangeParams(request.params);
      const count = hourCount(from, to);
      const page = resolvePage(lastOf(request.query.page), count);
      const hours = await flowVolumeHours(store, request.scope, sensor, from, to, (page - 1) * PAGE_SIZE, PAGE_SIZE);
      const fields = sensorFields(sensor);
      return envelope(
        request,
        count,
        page,
        hours.map((h) => ({ ...fields, flow_volume: barrels(h.volume), start: formatIsoSeconds(h.start), end: formatIsoSeconds(h.end) })),
      );
    },
  );
};
