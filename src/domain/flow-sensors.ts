import { ERRORS } from '../errors.js';
import type { NewController, Store } from '../store/store.js';
import type { Scope } from './scope.js';
import { FLOW_SENSOR_MODEL, type Channel, type Controller, type Process, type Reading } from './types.js';
import { ceilHour, floorHour, integrate, MS_PER_DAY, MS_PER_HOUR } from './volume.js';

/** A FlowCommand flow sensor: a controller of model `flow_sensor` and its flowrate input. */
export interface FlowSensor {
  controller: Controller;
  channel: Channel | null;
  latitude: number | null;
  longitude: number | null;
}

export const FLOWRATE_CHANNEL_TYPE = 'flowrate';

export type NewFlowSensor = Omit<NewController, 'model'> & { processName?: string };

/**
 * Registers a flow sensor the way FlowCommand knows one: a controller of model `flow_sensor`
 * with one `flowrate` input `S1` in bbl/day, inside a process so that its pings are stored.
 */
export async function registerFlowSensor(store: Store, scope: Scope, input: NewFlowSensor): Promise<{ controller: Controller; process: Process; channel: Channel }> {
  const { processName, ...controllerInput } = input;
  const controller = await store.createController(scope, { ...controllerInput, model: FLOW_SENSOR_MODEL });
  const process = await store.createProcess(scope, { controllerId: controller.id, name: processName ?? controller.name });
  const channel = await store.createChannel(scope, {
    controllerId: controller.id,
    processId: process.id,
    number: 'S1',
    name: 'Flow Rate',
    kind: 'input',
    type: FLOWRATE_CHANNEL_TYPE,
    unit: 'bbl/day',
  });
  return { controller, process, channel };
}

export async function listFlowSensors(store: Store, scope: Scope): Promise<FlowSensor[]> {
  const [controllers, facilities] = await Promise.all([store.listControllers(scope, { model: FLOW_SENSOR_MODEL }), store.listFacilities(scope)]);
  const channels = controllers.length === 0 ? [] : await store.listChannels(scope);
  const facilityById = new Map(facilities.map((f) => [f.id, f]));
  return controllers.map((controller) => sensorOf(controller, channels, facilityById.get(controller.facilityId)));
}

export async function getFlowSensor(store: Store, scope: Scope, id: number): Promise<FlowSensor> {
  const controller = await store.getController(scope, id);
  if (!controller || controller.model !== FLOW_SENSOR_MODEL) throw ERRORS.notFound('Flow sensor');
  const [channels, facility] = await Promise.all([store.listChannels(scope, { controllerId: controller.id }), store.getFacility(scope, controller.facilityId)]);
  return sensorOf(controller, channels, facility ?? undefined);
}

function sensorOf(controller: Controller, channels: Channel[], facility: { latitude: number | null; longitude: number | null } | undefined): FlowSensor {
  return {
    controller,
    channel: channels.find((c) => c.controllerId === controller.id && c.type === FLOWRATE_CHANNEL_TYPE) ?? null,
    // A sensor placed on its own coordinates wins; otherwise it sits at its facility.
    latitude: controller.latitude ?? facility?.latitude ?? null,
    longitude: controller.longitude ?? facility?.longitude ?? null,
  };
}

export interface PingFilter {
  /** Inclusive bounds (FlowCommand: `datetime >= start`, `datetime <= end`). */
  start?: number;
  end?: number;
}

/** Pings newest first. */
export async function pingsPage(store: Store, scope: Scope, sensor: FlowSensor, filter: PingFilter, offset: number, limit: number): Promise<Reading[]> {
  if (!sensor.channel) return [];
  return store.listReadings(scope, { channelId: sensor.channel.id, from: filter.start, to: filter.end, order: 'desc', limit, offset });
}

/** Number of pings matching the filter, from rollup counts plus the partial hours at the edges. */
export async function countPings(store: Store, scope: Scope, sensor: FlowSensor, filter: PingFilter): Promise<number> {
  if (!sensor.channel) return 0;
  const channelId = sensor.channel.id;
  const from = filter.start ?? Number.MIN_SAFE_INTEGER;
  // Inclusive end, in whole milliseconds: the half-open range ends one ms later.
  const to = filter.end === undefined ? Number.MAX_SAFE_INTEGER : filter.end + 1;
  if (to <= from) return 0;
  // Every ping is in exactly one day bucket.
  if (filter.start === undefined && filter.end === undefined) return (await store.sumFlowBuckets(scope, channelId, 'day', from, to)).pings;
  const counts = await Promise.all(
    decompose(from, to).map(async (piece) =>
      piece.kind === 'edge'
        ? store.countReadingsBetween(scope, channelId, piece.from, piece.to)
        : (await store.sumFlowBuckets(scope, channelId, piece.kind, piece.from, piece.to)).pings,
    ),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}

/** Barrels through the sensor over [from, to): rollups for whole hours and days, raw pings only at the edges. */
export async function flowVolume(store: Store, scope: Scope, sensor: FlowSensor, from: number, to: number): Promise<number> {
  if (!sensor.channel || to <= from) return 0;
  const channelId = sensor.channel.id;
  // The pieces are independent queries: on PostgreSQL they run on several connections at once.
  const volumes = await Promise.all(
    decompose(from, to).map(async (piece) =>
      piece.kind === 'edge'
        ? integrate(await store.pingWindow(scope, channelId, piece.from, piece.to), piece.from, piece.to)
        : (await store.sumFlowBuckets(scope, channelId, piece.kind, piece.from, piece.to)).volume,
    ),
  );
  // Added in range order, so the total is the same sum whatever order the queries finish in.
  return volumes.reduce((sum, v) => sum + v, 0);
}

export interface HourVolume {
  /** The clock hour clipped to the requested range. */
  start: number;
  end: number;
  volume: number;
}

/** Number of UTC clock hours overlapping [from, to). */
export function hourCount(from: number, to: number): number {
  return to <= from ? 0 : (ceilHour(to) - floorHour(from)) / MS_PER_HOUR;
}

/**
 * One row per UTC clock hour overlapping [from, to), newest first, each clipped to the range;
 * `offset`/`limit` select a page of those rows. Whole hours come from the rollups, the two
 * clipped edge hours from raw pings, exactly as flowVolume computes them, so the rows of all
 * pages add up to flowVolume over the same range.
 */
export async function flowVolumeHours(store: Store, scope: Scope, sensor: FlowSensor, from: number, to: number, offset: number, limit: number): Promise<HourVolume[]> {
  const total = hourCount(from, to);
  const first = Math.min(offset, total);
  const last = Math.min(offset + limit, total);
  if (first >= last) return [];
  // Row i (newest first) is the hour starting at newestHour - i hours.
  const newestHour = ceilHour(to) - MS_PER_HOUR;
  const pageOldest = newestHour - (last - 1) * MS_PER_HOUR;
  const pageNewest = newestHour - first * MS_PER_HOUR;
  const rollups = sensor.channel ? await store.listFlowHours(scope, sensor.channel.id, pageOldest, pageNewest + MS_PER_HOUR) : [];
  const byHour = new Map(rollups.map((b) => [b.start, b.volume]));
  const rows: HourVolume[] = [];
  for (let hour = pageNewest; hour >= pageOldest; hour -= MS_PER_HOUR) {
    const start = Math.max(hour, from);
    const end = Math.min(hour + MS_PER_HOUR, to);
    const whole = start === hour && end === hour + MS_PER_HOUR;
    const volume = !sensor.channel
      ? 0
      : whole
        ? (byHour.get(hour) ?? 0)
        : integrate(await store.pingWindow(scope, sensor.channel.id, start, end), start, end);
    rows.push({ start, end, volume });
  }
  return rows;
}

type Piece = { kind: 'edge' | 'hour' | 'day'; from: number; to: number };

/**
 * Splits [from, to) into partial hours at the edges (computed from raw pings), then whole
 * hours up to the first midnight and from the last one, and whole days between (rollups).
 */
export function decompose(from: number, to: number): Piece[] {
  if (to <= from) return [];
  const a = ceilHour(from);
  const b = floorHour(to);
  if (a >= b) return [{ kind: 'edge', from, to }];
  const pieces: Piece[] = [];
  if (from < a) pieces.push({ kind: 'edge', from, to: a });
  const dayA = Math.ceil(a / MS_PER_DAY) * MS_PER_DAY;
  const dayB = Math.floor(b / MS_PER_DAY) * MS_PER_DAY;
  if (dayA < dayB) {
    if (a < dayA) pieces.push({ kind: 'hour', from: a, to: dayA });
    pieces.push({ kind: 'day', from: dayA, to: dayB });
    if (dayB < b) pieces.push({ kind: 'hour', from: dayB, to: b });
  } else {
    pieces.push({ kind: 'hour', from: a, to: b });
  }
  if (b < to) pieces.push({ kind: 'edge', from: b, to });
  return pieces;
}
