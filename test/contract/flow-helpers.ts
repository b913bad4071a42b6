import { expect } from 'vitest';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import { getFlowSensor, registerFlowSensor, type FlowSensor } from '../../src/domain/flow-sensors.js';
import { type Channel, type Controller, type Customer, type Facility, type Process } from '../../src/domain/types.js';
import type { IngestReading, Store } from '../../src/store/store.js';
import type { TestStore } from '../helpers/stores.js';
import { newSerial } from './contract-helpers.js';

/**
 * Helpers of the flow-* contract suites: a flow sensor written through the platform scope,
 * a brute-force reference integrator written independently of src/domain/volume.ts, and
 * direct reads of the rollup tables.
 */

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface FlowPlant {
  customer: Customer;
  facility: Facility;
  controller: Controller;
  process: Process;
  /** The sensor's `flowrate` input (bbl/day). */
  channel: Channel;
}

/** customer → facility → controller (model flow_sensor) → process → channel of type flowrate. */
export async function createFlowSensor(store: Store, name: string): Promise<FlowPlant> {
  const customer = await store.createCustomer(PLATFORM_SCOPE, name);
  const facility = await store.createFacility(PLATFORM_SCOPE, { customerId: customer.id, name: `${name} Pad` });
  const sensor = await registerFlowSensor(store, PLATFORM_SCOPE, { facilityId: facility.id, serialNumber: newSerial(), name: `${name} Meter`, pipeDiameter: 4, processName: 'Flowline' });
  return { customer, facility, ...sensor };
}

/** A flow sensor as the FlowCommand services see it, beside the records it was built from. */
export async function createResolvedFlowSensor(store: Store, name: string): Promise<FlowPlant & { sensor: FlowSensor }> {
  const plant = await createFlowSensor(store, name);
  return { ...plant, sensor: await getFlowSensor(store, PLATFORM_SCOPE, plant.controller.id) };
}

export interface RefPing {
  time: number;
  rate: number;
}

export function toReadings(channelId: number, pings: readonly RefPing[]): IngestReading[] {
  return pings.map((p) => ({ channelId, time: p.time, value: p.rate }));
}

/**
 * The series as the store keeps it: sorted by time, and of several pings with one time the
 * first one sent (first write wins).
 */
export function canonical(sent: readonly RefPing[]): RefPing[] {
  const byTime = new Map<number, RefPing>();
  for (const p of sent) if (!byTime.has(p.time)) byTime.set(p.time, p);
  return [...byTime.values()].sort((a, b) => a.time - b.time);
}

/**
 * Barrels over [from, to) by brute force: every pair of consecutive pings is a line; clip it
 * to the range and integrate it with the midpoint rule (exact for a line), i.e. the rate at
 * the clipped segment's middle times its length in days. The series must be canonical.
 */
export function referenceVolume(series: readonly RefPing[], from: number, to: number): number {
  let sum = 0;
  for (let i = 0; i + 1 < series.length; i++) {
    const a = series[i]!;
    const b = series[i + 1]!;
    const lo = Math.max(a.time, from);
    const hi = Math.min(b.time, to);
    if (hi <= lo) continue;
    const mid = (lo + hi) / 2;
    const rateAtMid = a.rate + ((b.rate - a.rate) * (mid - a.time)) / (b.time - a.time);
    sum += rateAtMid * ((hi - lo) / DAY);
  }
  return sum;
}

/** Pings with start <= time <= end (both inclusive, either open). */
export function referenceCount(series: readonly RefPing[], start?: number, end?: number): number {
  return series.filter((p) => (start === undefined || p.time >= start) && (end === undefined || p.time <= end)).length;
}

/** |a - b| <= 1e-9 · max(1, |ref|). */
export function near(actual: number, reference: number, tolerance = 1e-9): boolean {
  return Math.abs(actual - reference) <= tolerance * Math.max(1, Math.abs(reference));
}

export function expectNear(actual: number, reference: number, message: string): void {
  if (!near(actual, reference)) expect.fail(`${message}: got ${actual}, reference ${reference} (diff ${actual - reference})`);
}

export interface RollupRow {
  start: number;
  volume: number;
  pings: number;
}

/** The flow_hours and flow_days rows of one channel, oldest first, read straight from the tables. */
export async function rollupRows(store: TestStore, channelId: number): Promise<{ hours: RollupRow[]; days: RollupRow[] }> {
  const db = store.kysely;
  const [hours, days] = await Promise.all([
    db.selectFrom('flow_hours').select(['hour_start', 'volume', 'ping_count']).where('channel_id', '=', channelId).orderBy('hour_start').execute(),
    db.selectFrom('flow_days').select(['day_start', 'volume', 'ping_count']).where('channel_id', '=', channelId).orderBy('day_start').execute(),
  ]);
  return {
    hours: hours.map((h) => ({ start: Number(h.hour_start), volume: Number(h.volume), pings: Number(h.ping_count) })),
    days: days.map((d) => ({ start: Number(d.day_start), volume: Number(d.volume), pings: Number(d.ping_count) })),
  };
}

/** The same buckets (starts and counts exactly, volumes to 1e-9 relative). */
export function expectSameRollups(actual: RollupRow[], expected: RollupRow[], what: string): void {
  expect(
    actual.map((r) => [r.start, r.pings]),
    `${what}: bucket starts and ping counts`,
  ).toEqual(expected.map((r) => [r.start, r.pings]));
  actual.forEach((r, i) => expectNear(r.volume, expected[i]!.volume, `${what}: volume of bucket ${new Date(r.start).toISOString()}`));
}

export const iso = (t: number) => new Date(t).toISOString();
