import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import type { Controller } from '../../../src/domain/types.js';
import { buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';

/**
 * Replays what the public Fluent integration scripts do (the Python polling jobs Fluent customers
 * publish to copy Fluent data into other systems) against a Flowline server listening on a
 * local port, over real HTTP: `GET controller/list/`
 * accepting any media type and with `Authorization: Basic base64(e-mail:token)`, then for every serial
 * `controller/current-readings/<serial>` and `controller/active-alarms/<serial>` (once also with
 * the serial converted to an int, as they do), reading `X-Rate-Limit-Remaining` on every answer
 * without a default. Every key and JSON type the reference lists is checked, and so is the 429
 * a client meets past its budget.
 */

const NOW = Date.parse('2026-11-24T08:00:00Z');
const MINUTE = 60_000;

type Json = Record<string, unknown>;

interface Answer {
  url: string;
  status: number;
  headers: Headers;
  body: Json;
  /** `int(r.headers['X-Rate-Limit-Remaining'])`: throws when the header is missing, as the scripts would. */
  remaining: number;
}

/** `requests.get(url, headers={'accept': <any>, 'Authorization': 'Basic …'})` and `r.json()`. */
async function pythonGet(url: string, email: string, token: string): Promise<Answer> {
  const res = await fetch(url, {
    headers: {
      accept: '*/*',
      Authorization: `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`,
      'User-Agent': 'python-requests/2.31.0',
      'Accept-Encoding': 'gzip, deflate',
      Connection: 'keep-alive',
    },
  });
  const text = await res.text();
  const remaining = res.headers.get('X-Rate-Limit-Remaining');
  if (remaining === null) throw new Error(`KeyError: 'X-Rate-Limit-Remaining' on ${res.status} ${url}`);
  expect(remaining, url).toMatch(/^\d+$/);
  expect(res.headers.get('content-type'), url).toMatch(/^application\/json/);
  return { url, status: res.status, headers: res.headers, body: JSON.parse(text) as Json, remaining: Number(remaining) };
}

/** The keys the reference lists, with their JSON types; Flowline's documented additions are allowed beside them. */
const READING_KEYS = { 'channel-name': 'string', 'channel-number': 'string', 'channel-type': 'string' } as const;
const SUBCHANNEL_KEYS = { type: 'string', value: 'number' } as const;
const SUBCHANNEL_ADDITIONS = ['units', 'time'];
const ALARM_KEYS = { 'alarm-type': 'string', 'alarm-id': 'number', 'alarm-text': 'string', 'channel-name': 'string', 'channel-number': 'string' } as const;
const ALARM_ADDITIONS = ['alarm-severity', 'raised-at'];

function expectTyped(value: unknown, keys: Record<string, string>, additions: string[], label: string): asserts value is Json {
  expect(typeof value, label).toBe('object');
  expect(value, label).not.toBeNull();
  expect(Array.isArray(value), label).toBe(false);
  const obj = value as Json;
  for (const [key, type] of Object.entries(keys)) {
    expect(key in obj, `${label}: ${key} missing`).toBe(true);
    expect(typeof obj[key], `${label}: ${key}`).toBe(type);
  }
  for (const key of Object.keys(obj)) expect([...Object.keys(keys), ...additions], `${label}: unexpected key ${key}`).toContain(key);
}

/** What a script reads from one current-readings answer. */
function parseReadings(body: Json, serial: string): { number: string; values: { type: string; value: number; units?: string }[] | null }[] {
  expect(Object.keys(body).sort()).toEqual(['readings', 'serial-number']);
  expect(typeof body['serial-number']).toBe('string');
  // Scripts do int(data['serial-number']).
  expect(body['serial-number']).toMatch(/^\d+$/);
  expect(String(Number.parseInt(body['serial-number'] as string, 10))).toBe(serial);
  expect(Array.isArray(body.readings)).toBe(true);
  return (body.readings as unknown[]).map((reading, i) => {
    const label = `${serial} reading ${i}`;
    expectTyped(reading, READING_KEYS, ['subchannel'], label);
    expect(reading['channel-number'], label).toMatch(/^(S\d+|R[1-6])$/);
    if (!('subchannel' in reading)) return { number: reading['channel-number'] as string, values: null };
    expect(Array.isArray(reading.subchannel), label).toBe(true);
    const values = (reading.subchannel as unknown[]).map((sub, j) => {
      expectTyped(sub, SUBCHANNEL_KEYS, SUBCHANNEL_ADDITIONS, `${label} subchannel ${j}`);
      if ('units' in sub) expect(typeof sub.units, `${label} units`).toBe('string');
      if ('time' in sub) expect(Number.isNaN(Date.parse(sub.time as string)), `${label} time`).toBe(false);
      return { type: sub.type as string, value: sub.value as number, ...('units' in sub ? { units: sub.units as string } : {}) };
    });
    return { number: reading['channel-number'] as string, values };
  });
}

/** What a script reads from one active-alarms answer. */
function parseAlarms(body: Json, serial: string): { type: string; id: number; text: string; channel: string }[] {
  expect(Object.keys(body)).toEqual(['alarm-info']);
  expect(Array.isArray(body['alarm-info'])).toBe(true);
  return (body['alarm-info'] as unknown[]).map((alarm, i) => {
    const label = `${serial} alarm ${i}`;
    expectTyped(alarm, ALARM_KEYS, ALARM_ADDITIONS, label);
    expect(Number.isInteger(alarm['alarm-id']), label).toBe(true);
    return { type: alarm['alarm-type'] as string, id: alarm['alarm-id'] as number, text: alarm['alarm-text'] as string, channel: alarm['channel-number'] as string };
  });
}

let nextSerial = 2_800_000_000;

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: a real Fluent client over HTTP`, () => {
    let store: TestStore;
    let drop: () => Promise<void>;
    let a: TenantFixture;
    let b: TenantFixture;
    /** A's second controller: it went silent, so it carries the server's own alarm. */
    let silent: Controller;
    /** A's third: never commissioned, nothing to read. */
    let bare: Controller;
    const apps: FastifyInstance[] = [];
    const clock = manualClock(NOW);

    async function serve(env: Record<string, string> = {}): Promise<string> {
      const app = await buildTestApp(store, clock, env);
      apps.push(app);
      await app.listen({ port: 0, host: '127.0.0.1' });
      // Scripts hold the base URL with its trailing slash and append the path.
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
    }

    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
      a = await createTenant(store, 'Riverside');
      b = await createTenant(store, 'Lakeside');
      const c = a.controller;
      const s2 = await store.createChannel(PLATFORM_SCOPE, { controllerId: c.id, processId: a.process.id, number: 'S2', name: 'pH', kind: 'input', type: 'ph' });
      await store.createChannel(PLATFORM_SCOPE, { controllerId: c.id, processId: a.process.id, number: 'R2', name: 'Inhibitor Feed', kind: 'output', type: 'relay' });
      await store.ingest(
        c.id,
        {
          readings: [
            { channelId: a.channels.s11.id, time: NOW - 2 * MINUTE, value: 1234.5 },
            { channelId: a.channels.s11.id, time: NOW - MINUTE, value: 1250.25 },
            { channelId: s2.id, time: NOW - MINUTE, value: 7.42 },
            { channelId: a.channels.r1.id, time: NOW - MINUTE, value: 1 },
          ],
          alarms: [
            { action: 'raise', channelId: a.channels.s11.id, code: 101, type: 'controller-alarm', severity: 'critical', message: 'High Conductivity', time: NOW - 10 * MINUTE },
            { action: 'raise', channelId: null, code: 48, type: 'controller-alarm', severity: 'warning', message: 'No Flow', time: NOW - 5 * MINUTE },
          ],
        },
        NOW,
      );

      const facility = a.facility.id;
      silent = await store.createController(PLATFORM_SCOPE, { facilityId: facility, serialNumber: String(nextSerial++), model: 'W900', name: 'Boiler Controller' });
      const process = await store.createProcess(PLATFORM_SCOPE, { controllerId: silent.id, name: 'Boiler' });
      const temp = await store.createChannel(PLATFORM_SCOPE, { controllerId: silent.id, processId: process.id, number: 'S3', name: 'Temperature', kind: 'input', type: 'temperature', unit: '°C' });
      await store.ingest(silent.id, { readings: [{ channelId: temp.id, time: NOW - 3 * 60 * MINUTE, value: 61.5 }], alarms: [] }, NOW - 3 * 60 * MINUTE);
      expect((await store.raiseNoDataAlarms(NOW - 2 * 60 * MINUTE, NOW - 90 * MINUTE)).map((x) => x.controllerId)).toEqual([silent.id]);
      bare = await store.createController(PLATFORM_SCOPE, { facilityId: facility, serialNumber: String(nextSerial++), model: 'W600', name: 'Spare Controller' });

      await store.ingest(b.controller.id, { readings: [{ channelId: b.channels.s11.id, time: NOW - MINUTE, value: 999 }], alarms: [] }, NOW);
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await drop?.();
    });

    it('list, then current readings and active alarms of every serial, with X-Rate-Limit-Remaining counting down by one', async () => {
      const base = await serve();
      const { email, token } = a.user;
      const answers: Answer[] = [];
      const call = async (path: string) => {
        const answer = await pythonGet(`${base}${path}`, email, token);
        answers.push(answer);
        return answer;
      };

      const list = await call('controller/list/');
      expect(list.status).toBe(200);
      expect(Object.keys(list.body)).toEqual(['controller-list']);
      const serials = list.body['controller-list'] as unknown[];
      expect(Array.isArray(serials)).toBe(true);
      for (const s of serials) {
        expect(typeof s).toBe('string');
        expect(s).toMatch(/^\d+$/);
      }
      expect([...(serials as string[])].sort()).toEqual([a.controller, silent, bare].map((x) => x.serialNumber).sort());
      expect(serials).not.toContain(b.controller.serialNumber);
      // Also called without the trailing slash.
      const again = await call('controller/list');
      expect(again.body).toEqual(list.body);

      const seen = new Map<string, { readings: ReturnType<typeof parseReadings>; alarms: ReturnType<typeof parseAlarms> }>();
      for (const serial of serials as string[]) {
        const readings = await call(`controller/current-readings/${serial}`);
        expect(readings.status, JSON.stringify(readings.body)).toBe(200);
        expect('error' in readings.body).toBe(false);
        const alarms = await call(`controller/active-alarms/${serial}`);
        expect(alarms.status, JSON.stringify(alarms.body)).toBe(200);
        expect('error' in alarms.body).toBe(false);
        seen.set(serial, { readings: parseReadings(readings.body, serial), alarms: parseAlarms(alarms.body, serial) });
      }
      // Once more with the serial converted to an int, as the scripts do.
      const main = a.controller.serialNumber;
      const asInt = String(Number.parseInt(main, 10));
      const intReadings = await call(`controller/current-readings/${asInt}`);
      const intAlarms = await call(`controller/active-alarms/${asInt}`);
      expect(parseReadings(intReadings.body, main)).toEqual(seen.get(main)!.readings);
      expect(parseAlarms(intAlarms.body, main)).toEqual(seen.get(main)!.alarms);

      // What a script makes of it.
      expect(seen.get(main)!.readings).toEqual([
        { number: 'S2', values: [{ type: 'value', value: 7.42 }] },
        { number: 'S11', values: [{ type: 'value', value: 1250.25, units: 'µS/cm' }] },
        { number: 'R1', values: [{ type: 'state', value: 1 }] },
        { number: 'R2', values: null },
      ]);
      expect(seen.get(main)!.alarms).toEqual([
        { type: 'controller-alarm', id: 48, text: 'No Flow', channel: '' },
        { type: 'controller-alarm', id: 101, text: 'High Conductivity', channel: 'S11' },
      ]);
      expect(seen.get(silent.serialNumber)).toEqual({
        readings: [{ number: 'S3', values: [{ type: 'value', value: 61.5, units: '°C' }] }],
        alarms: [{ type: 'fluent-alarm', id: 1, text: 'No data received', channel: '' }],
      });
      expect(seen.get(bare.serialNumber)).toEqual({ readings: [], alarms: [] });

      // A serial that is not the user's: the body has "error", which is what scripts test.
      const foreign = await call(`controller/current-readings/${b.controller.serialNumber}`);
      expect(foreign.status).toBe(404);
      expect(Object.keys(foreign.body)).toEqual(['error']);
      expect(typeof foreign.body.error).toBe('string');
      const foreignAlarms = await call(`controller/active-alarms/${b.controller.serialNumber}`);
      expect('error' in foreignAlarms.body).toBe(true);

      // Every answer carried the headers; the budget went down by exactly one per call.
      expect(answers.length).toBe(2 + 2 * 3 + 2 + 2);
      answers.forEach((answer, i) => {
        expect(answer.headers.get('X-Rate-Limit-Limit'), answer.url).toBe('100');
        expect(answer.remaining, answer.url).toBe(100 - (i + 1));
        const reset = Number(answer.headers.get('X-Rate-Limit-Reset'));
        expect(reset, answer.url).toBeGreaterThan(0);
        expect(reset, answer.url).toBeLessThanOrEqual(60);
      });

      // Another user has a budget of their own.
      const other = await pythonGet(`${base}controller/list/`, b.user.email, b.user.token);
      expect(other.remaining).toBe(99);
      expect(other.body).toEqual({ 'controller-list': [b.controller.serialNumber] });
      const admin = await pythonGet(`${base}controller/list/`, a.admin.email, a.admin.token);
      expect(admin.remaining).toBe(99);
    });

    it('past the budget: 429 with Retry-After, X-Rate-Limit-Remaining 0 and an "error" body', async () => {
      const base = await serve({ RATE_LIMITS: 'fluent.default=5/1m' });
      const { email, token } = a.user;
      const main = a.controller.serialNumber;
      const paths = ['controller/list/', `controller/current-readings/${main}`, `controller/active-alarms/${main}`, `controller/current-readings/${silent.serialNumber}`, `controller/active-alarms/${silent.serialNumber}`];
      for (const [i, path] of paths.entries()) {
        const answer = await pythonGet(`${base}${path}`, email, token);
        expect(answer.status, path).toBe(200);
        expect(answer.headers.get('X-Rate-Limit-Limit')).toBe('5');
        expect(answer.remaining).toBe(4 - i);
      }
      for (const path of ['controller/list/', `controller/current-readings/${main}`, 'controller/nope']) {
        const throttled = await pythonGet(`${base}${path}`, email, token);
        expect(throttled.status, path).toBe(429);
        expect(throttled.remaining).toBe(0);
        expect(throttled.headers.get('X-Rate-Limit-Limit')).toBe('5');
        const retryAfter = throttled.headers.get('Retry-After');
        expect(retryAfter).toMatch(/^\d+$/);
        expect(Number(retryAfter)).toBeGreaterThan(0);
        expect(Number(retryAfter)).toBeLessThanOrEqual(60);
        expect(Number(throttled.headers.get('X-Rate-Limit-Reset'))).toBe(Number(retryAfter));
        expect(Object.keys(throttled.body)).toEqual(['error']);
        expect(throttled.body.error).toBe(`Rate limit exceeded: try again in ${retryAfter} seconds.`);
      }
      // The budget is the user's: another user of the same customer still gets through.
      const admin = await pythonGet(`${base}controller/list/`, a.admin.email, a.admin.token);
      expect(admin.status).toBe(200);
      expect(admin.remaining).toBe(4);
    });
  });
}
