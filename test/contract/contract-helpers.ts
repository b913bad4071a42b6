import { expect } from 'vitest';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import type { Channel, Controller, Customer, Facility, Process } from '../../src/domain/types.js';
import { AppError, type ErrorCode } from '../../src/errors.js';
import type { IngestReading, Store } from '../../src/store/store.js';

/** Awaits a promise that must reject with an AppError of that code and status; returns the error. */
export async function expectAppError(promise: Promise<unknown>, code: ErrorCode, status: number): Promise<AppError> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) expect.fail(`expected an AppError ${code} (${status}), but the call resolved with ${JSON.stringify(outcome.value)}`);
  const error = outcome.error;
  expect(error, String(error)).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code, status });
  return error as AppError;
}

/** Awaits a promise that must reject (with anything); returns what it rejected with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value: unknown) => expect.fail(`expected a rejection, but the call resolved with ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

/** Epoch ms used throughout: mid-2026 (the SPEC's era) and far future (still < 2^53). */
export const T2026 = Date.parse('2026-11-24T00:00:00Z');
export const T2100 = Date.parse('2100-01-01T00:00:00Z');
export const MINUTE = 60_000;

let nextSerial = 3_000_000_000;
/** Ten-digit serial numbers, unique within a test run. */
export function newSerial(): string {
  return String(nextSerial++);
}

export interface Plant {
  customer: Customer;
  facility: Facility;
  controller: Controller;
  process: Process;
  /** S11 and S12 belong to the process; S99 has none. */
  s11: Channel;
  s12: Channel;
  s99: Channel;
}

/** A light hierarchy (no users, no password hashing), written through the platform scope. */
export async function createPlant(store: Store, name: string): Promise<Plant> {
  const customer = await store.createCustomer(PLATFORM_SCOPE, name);
  const facility = await store.createFacility(PLATFORM_SCOPE, { customerId: customer.id, name: `${name} Plant` });
  const controller = await store.createController(PLATFORM_SCOPE, { facilityId: facility.id, serialNumber: newSerial(), model: 'W900', name: `${name} Tower` });
  const process = await store.createProcess(PLATFORM_SCOPE, { controllerId: controller.id, name: 'Cooling Tower' });
  const s11 = await store.createChannel(PLATFORM_SCOPE, {
    controllerId: controller.id,
    processId: process.id,
    number: 'S11',
    name: 'Conductivity',
    kind: 'input',
    type: 'conductivity',
    unit: 'µS/cm',
  });
  const s12 = await store.createChannel(PLATFORM_SCOPE, { controllerId: controller.id, processId: process.id, number: 'S12', name: 'pH', kind: 'input', type: 'ph' });
  const s99 = await store.createChannel(PLATFORM_SCOPE, { controllerId: controller.id, number: 'S99', name: 'Spare', kind: 'input', type: 'level', unit: '%' });
  return { customer, facility, controller, process, s11, s12, s99 };
}

/** Readings of one channel at the given times; value i+1 unless values are given. */
export function readingsAt(channelId: number, times: number[], values?: number[]): IngestReading[] {
  return times.map((time, i) => ({ channelId, time, value: values?.[i] ?? i + 1 }));
}
