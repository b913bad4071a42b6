import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import { digestSecret, newIngestKey } from '../../../src/domain/secrets.js';
import { registerFlowSensor } from '../../../src/domain/flow-sensors.js';
import type { Channel, Controller, Facility, Process } from '../../../src/domain/types.js';
import type { Store } from '../../../src/store/store.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';

/** Shared fixtures of the FlowCommand suites (not a test file itself). */

export const FC = '/api/v1';

/** One FlowCommand flow sensor: a `flow_sensor` controller with its `S1` flowrate input in a process. */
export interface FlowSensorFixture {
  controller: Controller;
  process: Process;
  channel: Channel;
  ingestKey: string;
}

export interface FlowSensorOptions {
  name: string;
  pipeDiameter?: number | null;
  activatedAt?: number | null;
  tag?: string | null;
  /** The sensor's own coordinates; left out, it sits at its facility's. */
  latitude?: number | null;
  longitude?: number | null;
}

// Serials of their own range, clear of createTenant's (1_900_000_000…).
let serial = 2_300_000_000;

/** A ten-digit serial number no other fixture uses. */
export const nextSerial = (): string => String(serial++);

export async function createFlowSensor(store: Store, facility: Facility, options: FlowSensorOptions): Promise<FlowSensorFixture> {
  const ingestKey = newIngestKey();
  const sensor = await registerFlowSensor(store, PLATFORM_SCOPE, {
    facilityId: facility.id,
    serialNumber: nextSerial(),
    name: options.name,
    latitude: options.latitude ?? null,
    longitude: options.longitude ?? null,
    pipeDiameter: options.pipeDiameter ?? null,
    activatedAt: options.activatedAt ?? null,
    tag: options.tag ?? null,
    ingestKeyHash: digestSecret(ingestKey),
    processName: `${options.name} line`,
  });
  return { ...sensor, ingestKey };
}

/**
 * A customer (createTenant: users with passwords and API tokens, a facility without coordinates
 * and a W900 controller that is not a flow sensor) plus a second facility at Houston's
 * coordinates, where the flow sensors go.
 */
export interface FlowTenant {
  tenant: TenantFixture;
  /** 29.760435, -95.3698: the FlowCommand document's coordinates. */
  field: Facility;
}

export const HOUSTON = { latitude: 29.760435, longitude: -95.3698 } as const;

export async function createFlowTenant(store: Store, name: string): Promise<FlowTenant> {
  const tenant = await createTenant(store, name);
  const field = await store.createFacility(PLATFORM_SCOPE, {
    customerId: tenant.customer.id,
    name: `${name} Field`,
    latitude: HOUSTON.latitude,
    longitude: HOUSTON.longitude,
    timeZone: 'America/Chicago',
  });
  return { tenant, field };
}

/** Two customers with flow sensors each; `a` gets the sensors described by `aSensors`, `b` by `bSensors`. */
export async function createFlowCustomers(
  store: Store,
  aSensors: FlowSensorOptions[],
  bSensors: FlowSensorOptions[],
  names: [string, string] = ['Apex Oil', 'Basin Water'],
): Promise<{ a: FlowTenant & { sensors: FlowSensorFixture[] }; b: FlowTenant & { sensors: FlowSensorFixture[] } }> {
  const make = async (name: string, sensors: FlowSensorOptions[]) => {
    const t = await createFlowTenant(store, name);
    const made: FlowSensorFixture[] = [];
    for (const s of sensors) made.push(await createFlowSensor(store, t.field, s));
    return { ...t, sensors: made };
  };
  return { a: await make(names[0], aSensors), b: await make(names[1], bSensors) };
}

/** [epoch ms, bbl/day] */
export type PingSpec = readonly [number, number];

/** Writes pings straight through the store (the same transaction ingest uses, rollups included). */
export async function storePings(store: Store, sensor: FlowSensorFixture, pings: readonly PingSpec[], receivedAt = Date.now()): Promise<void> {
  for (let i = 0; i < pings.length; i += 5000) {
    const readings = pings.slice(i, i + 5000).map(([time, value]) => ({ channelId: sensor.channel.id, time, value }));
    await store.ingest(sensor.controller.id, { readings, alarms: [] }, receivedAt);
  }
}

/** Posts pings the way a device does: POST /ingest/v1/readings with the sensor's ingest key. */
export async function ingestPings(app: FastifyInstance, sensor: FlowSensorFixture, pings: readonly PingSpec[]): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: '/ingest/v1/readings',
    headers: { authorization: `Bearer ${sensor.ingestKey}` },
    payload: { readings: pings.map(([time, value]) => ({ channel: 'S1', time: new Date(time).toISOString(), value })) },
  });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toMatchObject({ received: pings.length, not_stored: [] });
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad fixture time ${iso}`);
  return ms;
};

/** FlowCommand's datetime format: `YYYY-MM-DDTHH:MM:SSZ`. */
export const DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
export const fcTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const tokenAuth = (t: FlowTenant) => ({ authorization: `Token ${t.tenant.user.token}` });

/** Matches a number within 1e-9 relative of `expected` (volumes are sums of float trapezoids). */
export function approx(expected: number) {
  return {
    asymmetricMatch: (actual: unknown) => typeof actual === 'number' && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    toString: () => `approx(${expected})`,
    toAsymmetricMatcher: () => `approx(${expected})`,
  };
}

/** Brute-force reference: trapezoids between consecutive pings, clipped to [from, to), in bbl. */
export function referenceVolume(pings: readonly PingSpec[], from: number, to: number): number {
  const sorted = [...pings].sort((x, y) => x[0] - y[0]);
  let volume = 0;
  for (let i = 1; i < sorted.length; i++) {
    const [t0, r0] = sorted[i - 1]!;
    const [t1, r1] = sorted[i]!;
    const lo = Math.max(t0, from);
    const hi = Math.min(t1, to);
    if (hi <= lo) continue;
    const rate = (t: number) => r0 + ((r1 - r0) * (t - t0)) / (t1 - t0);
    volume += ((rate(lo) + rate(hi)) / 2) * ((hi - lo) / DAY);
  }
  return volume;
}
