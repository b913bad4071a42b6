import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import type { Channel, ChannelKind, Controller, Process } from '../../../src/domain/types.js';
import { FLUENT_API_VERSION } from '../../../src/http/fluent/index.js';
import type { IngestAlarmEvent, IngestReading } from '../../../src/store/store.js';
import { basic, buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import { prng } from '../../helpers/prng.js';
import type { FluentAlarm } from '../../../src/wire/fluent.js';

/**
 * The Fluent face (seed 000) through app.inject, on every store: the exact wire shape of
 * every route, filters, keyset pagination (also while readings arrive between pages),
 * downsampling checked against a computation done here, alarm history, `/version`, bad
 * input (always a 4xx `{"error"}`, never a 500) and authentication. Every answer is checked
 * for the rate-limit headers real clients read without a default.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-24T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Json = Record<string, unknown>;
interface ChannelInfo {
  'channel-name': string;
  'channel-number': string;
  'channel-type': string;
  'channel-kind': string;
  units?: string;
  'process-id': number;
}
interface ReadingRow {
  'channel-number': string;
  time: string;
  value: number;
}
interface IntervalRow {
  'channel-number': string;
  time: string;
  min: number;
  max: number;
  avg: number;
  last: number;
  count: number;
}
interface ReadingsPage {
  'serial-number': string;
  start: string;
  end: string;
  order: string;
  interval?: number;
  channels: ChannelInfo[];
  readings?: ReadingRow[];
  intervals?: IntervalRow[];
  'next-cursor': string | null;
}
type AlarmInfo = FluentAlarm;
interface AlarmPage {
  'serial-number': string;
  'alarm-info': AlarmInfo[];
  'next-cursor': string | null;
}

/** A reading as the test knows it. */
interface Known {
  channel: Channel;
  time: number;
  value: number;
}

// --- deterministic data ------------------------------------------------------------------


let nextSerial = 2_600_000_000;

interface ChannelSpec {
  number: string;
  name: string;
  kind: ChannelKind;
  type: string;
  unit?: string;
  /** Index into the rig's processes, or null for a channel without a process. */
  process: number | null;
}

interface Rig {
  controller: Controller;
  processes: Process[];
  ch: Record<string, Channel>;
}

/** Another controller of the tenant (same facility) with its processes and channels. */
async function addController(store: TestStore, t: TenantFixture, name: string, processNames: string[], channels: ChannelSpec[]): Promise<Rig> {
  const controller = await store.createController(PLATFORM_SCOPE, { facilityId: t.facility.id, serialNumber: String(nextSerial++), model: 'W600', name });
  const processes: Process[] = [];
  for (const p of processNames) processes.push(await store.createProcess(PLATFORM_SCOPE, { controllerId: controller.id, name: p }));
  const ch: Record<string, Channel> = {};
  for (const c of channels) {
    ch[c.number] = await store.createChannel(PLATFORM_SCOPE, {
      controllerId: controller.id,
      processId: c.process === null ? null : processes[c.process]!.id,
      number: c.number,
      name: c.name,
      kind: c.kind,
      type: c.type,
      unit: c.unit ?? null,
    });
  }
  return { controller, processes, ch };
}

const FOUR_CHANNELS: ChannelSpec[] = [
  { number: 'S1', name: 'Conductivity', kind: 'input', type: 'conductivity', unit: 'µS/cm', process: 0 },
  { number: 'S2', name: 'pH', kind: 'input', type: 'ph', process: 0 },
  { number: 'S3', name: 'Temperature', kind: 'input', type: 'temperature', unit: '°C', process: 1 },
  { number: 'R1', name: 'Bleed', kind: 'output', type: 'relay', process: 0 },
];

const toIngest = (rows: Known[]): IngestReading[] => rows.map((r) => ({ channelId: r.channel.id, time: r.time, value: r.value }));

/** Rows in [from, to) in the API's order: by time, then by channel id. */
function expectedRows(rows: Known[], from: number, to: number, order: 'asc' | 'desc' = 'asc', channels?: Channel[]): ReadingRow[] {
  const ids = channels ? new Set(channels.map((c) => c.id)) : null;
  const chosen = rows
    .filter((r) => r.time >= from && r.time < to && (!ids || ids.has(r.channel.id)))
    .sort((x, y) => x.time - y.time || x.channel.id - y.channel.id)
    .map((r) => ({ 'channel-number': r.channel.number, time: iso(r.time), value: r.value }));
  return order === 'asc' ? chosen : chosen.reverse();
}

/** min/max/avg/last/count per channel and epoch-aligned bucket, computed here from what was inserted. */
function expectedIntervals(rows: Known[], from: number, to: number, intervalMs: number, channels?: Channel[]): IntervalRow[] {
  const ids = channels ? new Set(channels.map((c) => c.id)) : null;
  const buckets = new Map<string, { channel: Channel; start: number; min: number; max: number; sum: number; count: number; lastTime: number; last: number }>();
  for (const r of rows) {
    if (r.time < from || r.time >= to || (ids && !ids.has(r.channel.id))) continue;
    const start = Math.floor(r.time / intervalMs) * intervalMs;
    const key = `${start}:${r.channel.id}`;
    const b = buckets.get(key);
    if (!b) {
      buckets.set(key, { channel: r.channel, start, min: r.value, max: r.value, sum: r.value, count: 1, lastTime: r.time, last: r.value });
      continue;
    }
    b.min = Math.min(b.min, r.value);
    b.max = Math.max(b.max, r.value);
    b.sum += r.value;
    b.count += 1;
    if (r.time > b.lastTime) {
      b.lastTime = r.time;
      b.last = r.value;
    }
  }
  return [...buckets.values()]
    .sort((x, y) => x.start - y.start || x.channel.id - y.channel.id)
    .map((b) => ({ 'channel-number': b.channel.number, time: iso(b.start), min: b.min, max: b.max, avg: b.sum / b.count, last: b.last, count: b.count }));
}

/** Exact on everything but avg, which may differ from the database's in the last bits. */
function expectSameIntervals(actual: IntervalRow[], expected: IntervalRow[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  const strip = (rows: IntervalRow[]) => rows.map(({ avg: _avg, ...rest }) => rest);
  expect(strip(actual), label).toStrictEqual(strip(expected));
  actual.forEach((row, i) => {
    expect(Object.keys(row).sort(), label).toEqual(['avg', 'channel-number', 'count', 'last', 'max', 'min', 'time']);
    expect(Number.isInteger(row.count), label).toBe(true);
    expect(Math.abs(row.avg - expected[i]!.avg), `${label}: avg of ${row['channel-number']} at ${row.time}`).toBeLessThanOrEqual(1e-9);
  });
}

// --- assertions on answers ---------------------------------------------------------------

/** Every answer of the face carries the three headers, as whole numbers. */
function expectRateHeaders(res: LightMyRequestResponse): void {
  for (const name of ['x-rate-limit-limit', 'x-rate-limit-remaining', 'x-rate-limit-reset']) {
    expect(res.headers[name], `${name} on a ${res.statusCode}: ${res.body}`).toMatch(/^\d+$/);
  }
}

/** Fluent's error: exactly `{"error": "<non-empty string>"}`, JSON, with the rate-limit headers. */
function expectFluentError(res: LightMyRequestResponse, status: number, message?: string | RegExp): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as Json;
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  expect((body.error as string).length).toBeGreaterThan(0);
  if (typeof message === 'string') expect(body.error).toBe(message);
  else if (message) expect(body.error).toMatch(message);
  expectRateHeaders(res);
}

/** A 4xx with an `error` string, for answers refused before routing (no rate-limit headers there). */
function expectClientError(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body).toBeLessThan(500);
  const body = res.json() as Json;
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error).toBe('string');
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: Fluent face`, () => {
    let app: FastifyInstance;
    let store: TestStore;
    let drop: () => Promise<void>;
    let a: TenantFixture;
    let b: TenantFixture;
    /** A's first controller: S11, R1 (createTenant), plus S2, R2 (P1), S3 (Boiler), and an empty process. */
    let main: { controller: Controller; p1: Process; boiler: Process; empty: Process; s11: Channel; s2: Channel; s3: Channel; r1: Channel; r2: Channel; s99: Channel };
    let mainRows: Known[];
    /** Raised on main, in ingest order; e4 is cleared. */
    let mainAlarms: { e1: number; e2: number; e3: number; e4: number; e5: number };
    /** A's second controller: three days of dense readings on S1, S2, S3, R1. */
    let hist: Rig;
    let histRows: Known[];
    const H0 = Date.parse('2026-11-01T00:00:00Z');
    const H_END = H0 + 3 * DAY;
    /** A's controller whose only alarm is the server's own no-data alarm. */
    let silent: Rig;
    /** A's controller with many alarms for paging. */
    let alarmRig: Rig;
    let alarmRows: { id: number; raisedAt: number; severity: string; code: number; cleared: number | null; channel: Channel | null }[];

    const clock = manualClock(NOW);

    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
      a = await createTenant(store, 'Alpha');
      b = await createTenant(store, 'Beta');

      // --- main: the shapes of the observed paths ---
      const c = a.controller;
      const boiler = await store.createProcess(PLATFORM_SCOPE, { controllerId: c.id, name: 'Boiler' });
      const empty = await store.createProcess(PLATFORM_SCOPE, { controllerId: c.id, name: 'Spare process' });
      const s2 = await store.createChannel(PLATFORM_SCOPE, { controllerId: c.id, processId: a.process.id, number: 'S2', name: 'pH', kind: 'input', type: 'ph' });
      const r2 = await store.createChannel(PLATFORM_SCOPE, { controllerId: c.id, processId: a.process.id, number: 'R2', name: 'Chem Feed', kind: 'output', type: 'relay' });
      const s3 = await store.createChannel(PLATFORM_SCOPE, { controllerId: c.id, processId: boiler.id, number: 'S3', name: 'Temperature', kind: 'input', type: 'temperature', unit: '°C' });
      main = { controller: c, p1: a.process, boiler, empty, s11: a.channels.s11, s2, s3, r1: a.channels.r1, r2, s99: a.channels.unassigned };
      // Every 10 minutes from NOW-26h to NOW inclusive on S11, S2, R1, S3 (R2 never reports).
      mainRows = [];
      for (let k = 0; k <= 156; k++) {
        const time = NOW - 26 * HOUR + k * 10 * MINUTE;
        mainRows.push({ channel: main.s11, time, value: 1000 + k + 0.5 });
        mainRows.push({ channel: main.s2, time, value: 7 + k / 100 });
        mainRows.push({ channel: main.r1, time, value: k % 2 });
        mainRows.push({ channel: main.s3, time, value: 20 + k * 0.25 });
      }
      const alarm = (action: 'raise' | 'clear', code: number, channel: Channel | null, severity: IngestAlarmEvent['severity'], message: string, time: number, type = 'controller-alarm'): IngestAlarmEvent => ({
        action,
        code,
        channelId: channel?.id ?? null,
        type,
        severity,
        message,
        time,
      });
      const mainOutcome = await store.ingest(
        c.id,
        {
          readings: toIngest(mainRows),
          alarms: [
            alarm('raise', 101, main.s11, 'critical', 'High conductivity', NOW - 5 * HOUR),
            alarm('raise', 48, null, 'warning', 'No Flow', NOW - 4 * HOUR),
            alarm('raise', 9, main.s2, 'warning', 'pH low', NOW - 4 * HOUR, 'flow-switch'),
            alarm('raise', 7, main.r1, 'info', 'Relay timeout', NOW - 3 * HOUR),
            alarm('clear', 7, main.r1, 'info', 'Relay timeout', NOW - 2 * HOUR),
            alarm('raise', 12, main.s99, 'info', 'Spare level', NOW - 30 * HOUR),
          ],
        },
        NOW,
      );
      expect(mainOutcome.stored).toHaveLength(mainRows.length);
      const idOf = (code: number) => mainOutcome.raised.find((x) => x.code === code)!.id;
      mainAlarms = { e1: idOf(101), e2: idOf(48), e3: idOf(9), e4: idOf(7), e5: idOf(12) };

      // --- hist: dense data for pagination and downsampling ---
      hist = await addController(store, a, 'History Tower', ['Tower', 'Loop'], FOUR_CHANNELS);
      const rand = prng(20261101);
      const seen = new Map<number, Set<number>>();
      histRows = [];
      const add = (channel: Channel, time: number, value: number) => {
        const times = seen.get(channel.id) ?? new Set<number>();
        seen.set(channel.id, times);
        if (times.has(time)) return;
        times.add(time);
        histRows.push({ channel, time, value });
      };
      const valueFor = (channel: Channel) => {
        switch (channel.number) {
          case 'S1':
            return Math.round((500 + rand() * 1000) * 1000) / 1000;
          case 'S2':
            return 6 + rand() * 3;
          case 'S3':
            return Math.round((rand() * 45 - 5) * 100) / 100;
          default:
            return rand() < 0.5 ? 0 : 1;
        }
      };
      const histChannels = Object.values(hist.ch);
      // A shared grid (every channel at the same times, so keyset ties are frequent) ...
      for (let t = H0; t < H_END; t += 7 * MINUTE) for (const ch of histChannels) add(ch, t, valueFor(ch));
      // ... random extras at millisecond times ...
      for (const ch of histChannels) for (let i = 0; i < 150; i++) add(ch, H0 + Math.floor(rand() * 3 * DAY), valueFor(ch));
      // ... and readings on both sides of every hour boundary, and just outside the three days.
      for (let h = 1; h < 72; h++) {
        add(hist.ch.S1!, H0 + h * HOUR - 1, valueFor(hist.ch.S1!));
        add(hist.ch.S3!, H0 + h * HOUR, valueFor(hist.ch.S3!));
      }
      add(hist.ch.S1!, H0 - 1, 99_999);
      add(hist.ch.S1!, H_END, 99_999);
      await store.ingest(hist.controller.id, { readings: toIngest(histRows), alarms: [] }, NOW);

      // --- silent: the server's own alarm ---
      silent = await addController(store, a, 'Silent Tower', ['Tower'], [FOUR_CHANNELS[0]!]);
      await store.ingest(silent.controller.id, { readings: [{ channelId: silent.ch.S1!.id, time: NOW - 3 * HOUR, value: 1 }], alarms: [] }, NOW - 3 * HOUR);
      const raised = await store.raiseNoDataAlarms(NOW - 2 * HOUR, NOW - 90 * MINUTE);
      expect(raised.map((x) => x.controllerId)).toEqual([silent.controller.id]);

      // --- alarmRig: 30 alarms, raised in threes at the same minute, every fourth cleared ---
      alarmRig = await addController(store, a, 'Alarm Tower', ['Tower'], [FOUR_CHANNELS[0]!, FOUR_CHANNELS[3]!]);
      const severities = ['info', 'warning', 'critical'] as const;
      const events: IngestAlarmEvent[] = [];
      for (let i = 1; i <= 30; i++) {
        const channel = i % 3 === 0 ? null : i % 3 === 1 ? alarmRig.ch.S1! : alarmRig.ch.R1!;
        const raisedAt = NOW - 10 * DAY + Math.floor(i / 3) * MINUTE;
        events.push(alarm('raise', 200 + i, channel, severities[i % 3]!, `Alarm ${i}`, raisedAt));
        if (i % 4 === 0) events.push(alarm('clear', 200 + i, channel, severities[i % 3]!, `Alarm ${i}`, raisedAt + HOUR));
      }
      const alarmOutcome = await store.ingest(alarmRig.controller.id, { readings: [], alarms: events }, NOW);
      alarmRows = alarmOutcome.raised.map((x) => ({
        id: x.id,
        raisedAt: x.raisedAt,
        severity: x.severity,
        code: x.code,
        cleared: (x.code - 200) % 4 === 0 ? x.raisedAt + HOUR : null,
        channel: x.channelId === null ? null : x.channelId === alarmRig.ch.S1!.id ? alarmRig.ch.S1! : alarmRig.ch.R1!,
      }));
      expect(alarmRows).toHaveLength(30);

      // B: its own controller, with data that must never show up for A.
      await store.ingest(b.controller.id, { readings: [{ channelId: b.channels.s11.id, time: NOW - HOUR, value: 4242 }], alarms: [] }, NOW);

      // Thousands of requests from one user and one IP: the limits are not what this suite tests.
      app = await buildTestApp(store, clock, { RATE_LIMITS: 'fluent.default=100000/1m,fluent.anonymous=100000/1m,fluent.public=100000/1m,flowline.signin_account=100000/15m,flowline.signin_account_all=100000/15m' });
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    const asUser = (u: TenantFixture['user']) => ({ authorization: basic(u.email, u.token) });
    const get = async (url: string, headers: Record<string, string> = asUser(a.user)) => {
      const res = await app.inject({ method: 'GET', url, headers });
      expect(res.statusCode, `${url}: ${res.body}`).toBeLessThan(500);
      expectRateHeaders(res);
      return res;
    };
    async function getJson<T = Json>(url: string, headers?: Record<string, string>): Promise<T> {
      const res = await get(url, headers);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      return res.json() as T;
    }
    const withCursor = (url: string, cursor: string) => `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;

    /** Follows `next-cursor` to the end; a page that promises more is never empty. */
    async function walk(url: string, maxPages = 2000): Promise<{ pages: ReadingsPage[]; readings: ReadingRow[]; intervals: IntervalRow[] }> {
      const pages: ReadingsPage[] = [];
      let cursor: string | null = null;
      do {
        const page: ReadingsPage = await getJson<ReadingsPage>(cursor === null ? url : withCursor(url, cursor));
        pages.push(page);
        cursor = page['next-cursor'];
        if (cursor !== null) {
          expect(typeof cursor).toBe('string');
          expect((page.readings ?? page.intervals ?? []).length, `an empty page with a cursor: ${url}`).toBeGreaterThan(0);
        }
        if (pages.length > maxPages) throw new Error(`more than ${maxPages} pages for ${url}`);
      } while (cursor !== null);
      return { pages, readings: pages.flatMap((p) => p.readings ?? []), intervals: pages.flatMap((p) => p.intervals ?? []) };
    }

    const mainSerial = () => main.controller.serialNumber;
    const histUrl = (query: string) => `/controller/readings/${hist.controller.serialNumber}?${query}`;
    const info = (c: Channel, processId = c.processId!): ChannelInfo => ({
      'channel-name': c.name,
      'channel-number': c.number,
      'channel-type': c.type,
      'channel-kind': c.kind,
      ...(c.unit === null ? {} : { units: c.unit }),
      'process-id': processId,
    });

    // --- the observed paths ------------------------------------------------------------

    describe('controller/list', () => {
      it('lists the serials of every controller of the customer, with and without the trailing slash', async () => {
        const withSlash = await getJson('/controller/list/');
        const without = await getJson('/controller/list');
        expect(withSlash).toStrictEqual(without);
        expect(Object.keys(withSlash)).toEqual(['controller-list']);
        const list = withSlash['controller-list'] as string[];
        expect(list.every((s) => typeof s === 'string' && /^\d+$/.test(s))).toBe(true);
        const mine = (await store.listControllers(PLATFORM_SCOPE)).filter((x) => x.customerId === a.customer.id);
        expect(mine.length).toBeGreaterThanOrEqual(4);
        expect([...list].sort()).toEqual(mine.map((x) => x.serialNumber).sort());
        expect(list).not.toContain(b.controller.serialNumber);
        // Admins and users of a customer see the same controllers; so does B, only its own.
        expect(await getJson('/controller/list/', asUser(a.admin))).toStrictEqual(withSlash);
        expect(await getJson('/controller/list/', asUser(b.user))).toStrictEqual({ 'controller-list': [b.controller.serialNumber] });
      });
    });

    describe('controller/current-readings', () => {
      it('answers the observed shape: inputs first by number, relays without a value have no subchannel, no unit means no units key', async () => {
        const body = await getJson(`/controller/current-readings/${mainSerial()}`);
        const latest = (ch: Channel) => mainRows.filter((r) => r.channel.id === ch.id).sort((x, y) => y.time - x.time)[0]!;
        const sub = (ch: Channel) => {
          const r = latest(ch);
          return [{ type: ch.kind === 'input' ? 'value' : 'state', value: r.value, ...(ch.unit === null ? {} : { units: ch.unit }), time: iso(r.time) }];
        };
        expect(body).toStrictEqual({
          'serial-number': mainSerial(),
          readings: [
            { 'channel-name': 'pH', 'channel-number': 'S2', 'channel-type': 'ph', subchannel: sub(main.s2) },
            { 'channel-name': 'Temperature', 'channel-number': 'S3', 'channel-type': 'temperature', subchannel: sub(main.s3) },
            { 'channel-name': 'Conductivity', 'channel-number': 'S11', 'channel-type': 'conductivity', subchannel: sub(main.s11) },
            { 'channel-name': 'Bleed', 'channel-number': 'R1', 'channel-type': 'relay', subchannel: sub(main.r1) },
            { 'channel-name': 'Chem Feed', 'channel-number': 'R2', 'channel-type': 'relay' },
          ],
        });
        // The values are the newest readings (the one at NOW), not the newest inserted.
        expect((body.readings as { subchannel?: { value: number; time: string }[] }[])[2]!.subchannel![0]).toMatchObject({ value: 1156.5, time: iso(NOW) });
        // The unassigned S99 has no stored data and is not listed.
        expect(JSON.stringify(body)).not.toContain('S99');
      });

      it('types every key: S…/R… numbers, numeric values, units only as a string', async () => {
        for (const serial of [mainSerial(), hist.controller.serialNumber, silent.controller.serialNumber, alarmRig.controller.serialNumber]) {
          const body = await getJson(`/controller/current-readings/${serial}`);
          expect(Object.keys(body).sort()).toEqual(['readings', 'serial-number']);
          expect(body['serial-number']).toBe(serial);
          for (const r of body.readings as Json[]) {
            expect(Object.keys(r).filter((k) => k !== 'subchannel').sort()).toEqual(['channel-name', 'channel-number', 'channel-type']);
            expect(r['channel-number']).toMatch(/^(S\d+|R\d+)$/);
            for (const k of ['channel-name', 'channel-type']) expect(typeof r[k]).toBe('string');
            if (!('subchannel' in r)) continue;
            const subs = r.subchannel as Json[];
            expect(subs).toHaveLength(1);
            for (const s of subs) {
              expect(Object.keys(s).filter((k) => k !== 'units').sort()).toEqual(['time', 'type', 'value']);
              expect(typeof s.value).toBe('number');
              expect(s.type).toBe(String(r['channel-number']).startsWith('S') ? 'value' : 'state');
              if ('units' in s) expect(typeof s.units).toBe('string');
            }
          }
        }
      });

      it('answers for the serial as bare digits (as clients that int() it call it)', async () => {
        const serial = mainSerial();
        expect(String(Number.parseInt(serial, 10))).toBe(serial);
        const once = await getJson(`/controller/current-readings/${Number(serial)}`);
        expect(once).toStrictEqual(await getJson(`/controller/current-readings/${serial}`));
      });
    });

    describe('controller/active-alarms', () => {
      it('lists active alarms newest first; whole-controller alarms have "" channel name and number', async () => {
        const body = await getJson(`/controller/active-alarms/${mainSerial()}`);
        expect(body).toStrictEqual({
          'alarm-info': [
            // e2 and e3 were raised at the same instant: the later id first.
            { 'alarm-type': 'flow-switch', 'alarm-id': 9, 'alarm-text': 'pH low', 'channel-name': 'pH', 'channel-number': 'S2', 'alarm-severity': 'warning', 'raised-at': iso(NOW - 4 * HOUR) },
            { 'alarm-type': 'controller-alarm', 'alarm-id': 48, 'alarm-text': 'No Flow', 'channel-name': '', 'channel-number': '', 'alarm-severity': 'warning', 'raised-at': iso(NOW - 4 * HOUR) },
            {
              'alarm-type': 'controller-alarm',
              'alarm-id': 101,
              'alarm-text': 'High conductivity',
              'channel-name': 'Conductivity',
              'channel-number': 'S11',
              'alarm-severity': 'critical',
              'raised-at': iso(NOW - 5 * HOUR),
            },
            { 'alarm-type': 'controller-alarm', 'alarm-id': 12, 'alarm-text': 'Spare level', 'channel-name': 'Spare', 'channel-number': 'S99', 'alarm-severity': 'info', 'raised-at': iso(NOW - 30 * HOUR) },
          ],
        });
        expect(mainAlarms.e3).toBeGreaterThan(mainAlarms.e2);
      });

      it('passes the server\'s own no-data alarm through as "fluent-alarm"', async () => {
        const body = await getJson(`/controller/active-alarms/${silent.controller.serialNumber}`);
        expect(body).toStrictEqual({
          'alarm-info': [
            {
              'alarm-type': 'fluent-alarm',
              'alarm-id': 1,
              'alarm-text': 'No data received',
              'channel-name': '',
              'channel-number': '',
              'alarm-severity': 'warning',
              'raised-at': iso(NOW - 90 * MINUTE),
            },
          ],
        });
      });

      it('an empty list is {"alarm-info": []}', async () => {
        expect(await getJson(`/controller/active-alarms/${hist.controller.serialNumber}`)).toStrictEqual({ 'alarm-info': [] });
        expect(await getJson(`/controller/active-alarms/${Number(hist.controller.serialNumber)}`)).toStrictEqual({ 'alarm-info': [] });
      });
    });

    // --- beyond the observed paths ---------------------------------------------------------

    describe('controller/hierarchy', () => {
      it('shows customer, facility and processes with their channels', async () => {
        const body = await getJson(`/controller/hierarchy/${mainSerial()}`);
        expect(body).toStrictEqual({
          'serial-number': mainSerial(),
          'controller-name': 'Alpha Tower Controller',
          model: 'W900',
          'last-seen-at': iso(NOW),
          customer: { 'customer-id': a.customer.id, 'customer-name': 'Alpha' },
          facility: {
            'facility-id': a.facility.id,
            'facility-name': 'Alpha Plant',
            address: null,
            latitude: null,
            longitude: null,
            'time-zone': 'America/Chicago',
          },
          processes: [
            { 'process-id': main.p1.id, 'process-name': 'Cooling Tower 1', channels: [info(main.s2), info(main.s11), info(main.r1), info(main.r2)] },
            { 'process-id': main.boiler.id, 'process-name': 'Boiler', channels: [info(main.s3)] },
            { 'process-id': main.empty.id, 'process-name': 'Spare process', channels: [] },
          ],
        });
      });

      it('a controller that never sent data has "last-seen-at": null', async () => {
        const fresh = await addController(store, a, 'Fresh Tower', ['Tower'], [FOUR_CHANNELS[0]!]);
        const body = await getJson(`/controller/hierarchy/${fresh.controller.serialNumber}`);
        expect(body['last-seen-at']).toBeNull();
        expect(body.model).toBe('W600');
        expect(body.processes).toStrictEqual([{ 'process-id': fresh.processes[0]!.id, 'process-name': 'Tower', channels: [info(fresh.ch.S1!)] }]);
        expect((await getJson(`/controller/current-readings/${fresh.controller.serialNumber}`)).readings).toStrictEqual([
          { 'channel-name': 'Conductivity', 'channel-number': 'S1', 'channel-type': 'conductivity' },
        ]);
      });
    });

    describe('controller/readings (raw)', () => {
      const mainChannels = () => [main.s2, main.s3, main.s11, main.r1, main.r2];

      it('defaults to the 24 hours before now, half-open, oldest first, with every key typed', async () => {
        const body = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}`);
        expect(Object.keys(body).sort()).toEqual(['channels', 'end', 'next-cursor', 'order', 'readings', 'serial-number', 'start']);
        expect(body['serial-number']).toBe(mainSerial());
        expect(body.start).toBe(iso(NOW - DAY));
        expect(body.end).toBe(iso(NOW));
        expect(body.order).toBe('asc');
        expect(body['next-cursor']).toBeNull();
        expect(body.channels).toStrictEqual(mainChannels().map((c) => info(c)));
        // The reading at exactly NOW-24h is in, the one at NOW is out: 144 instants × 4 channels.
        expect(body.readings).toStrictEqual(expectedRows(mainRows, NOW - DAY, NOW));
        expect(body.readings).toHaveLength(576);
        expect(body.readings![0]!.time).toBe(iso(NOW - DAY));
        for (const r of body.readings!) {
          expect(Object.keys(r).sort()).toEqual(['channel-number', 'time', 'value']);
          expect(typeof r.value).toBe('number');
          expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        }
      });

      it('follows the clock for the default range', async () => {
        clock.set(NOW - 2 * HOUR);
        try {
          const body = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?channel=S11`);
          expect([body.start, body.end]).toEqual([iso(NOW - 26 * HOUR), iso(NOW - 2 * HOUR)]);
          expect(body.readings).toStrictEqual(expectedRows(mainRows, NOW - 26 * HOUR, NOW - 2 * HOUR, 'asc', [main.s11]));
        } finally {
          clock.set(NOW);
        }
      });

      it('takes start and end as [start, end), and end alone means the day before it', async () => {
        const t = NOW - 10 * HOUR;
        const one = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?start=${iso(t)}&end=${iso(t + 10 * MINUTE)}`);
        expect(one.readings).toStrictEqual(expectedRows(mainRows, t, t + 10 * MINUTE));
        expect(one.readings!.map((r) => r['channel-number'])).toEqual(['S11', 'R1', 'S2', 'S3']);
        expect(new Set(one.readings!.map((r) => r.time))).toEqual(new Set([iso(t)]));
        // An end 1 ms after a reading includes it; an end at it does not.
        expect((await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?start=${iso(t - MINUTE)}&end=${iso(t + 1)}`)).readings).toHaveLength(4);
        expect((await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?start=${iso(t - MINUTE)}&end=${iso(t)}`)).readings).toHaveLength(0);
        // start = end is an empty range, not an error.
        const emptyRange = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?start=${iso(t)}&end=${iso(t)}`);
        expect([emptyRange.readings, emptyRange['next-cursor']]).toStrictEqual([[], null]);
        // No offset means UTC; offsets are honoured.
        const noZone = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?start=${iso(t).replace('.000Z', '')}&end=${encodeURIComponent('2026-11-23T21:10:00-01:00')}`);
        expect([noZone.start, noZone.end]).toEqual([iso(t), iso(t + 10 * MINUTE)]);
        const endOnly = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?end=${iso(NOW - 2 * HOUR)}&channel=S3`);
        expect([endOnly.start, endOnly.end]).toEqual([iso(NOW - 26 * HOUR), iso(NOW - 2 * HOUR)]);
        expect(endOnly.readings).toStrictEqual(expectedRows(mainRows, NOW - 26 * HOUR, NOW - 2 * HOUR, 'asc', [main.s3]));
        const startOnly = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?start=${iso(NOW - HOUR)}`);
        expect([startOnly.start, startOnly.end]).toEqual([iso(NOW - HOUR), iso(NOW)]);
        expect(startOnly.readings).toStrictEqual(expectedRows(mainRows, NOW - HOUR, NOW));
      });

      it('filters by channel, repeated or comma-separated, and by process', async () => {
        const range = `start=${iso(NOW - 26 * HOUR)}&end=${iso(NOW + 1)}`;
        const repeated = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?${range}&channel=S11&channel=R1`);
        const comma = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?${range}&channel=S11,R1`);
        const mixed = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?${range}&channel=R1,%20S11&channel=S11`);
        expect(repeated.readings).toStrictEqual(expectedRows(mainRows, NOW - 26 * HOUR, NOW + 1, 'asc', [main.s11, main.r1]));
        expect(repeated.readings).toHaveLength(2 * 157);
        expect(repeated.channels).toStrictEqual([info(main.s11), info(main.r1)]);
        expect(comma).toStrictEqual(repeated);
        expect(mixed).toStrictEqual(repeated);

        const boiler = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?${range}&process=${main.boiler.id}`);
        expect(boiler.channels).toStrictEqual([info(main.s3)]);
        expect(boiler.readings).toStrictEqual(expectedRows(mainRows, NOW - 26 * HOUR, NOW + 1, 'asc', [main.s3]));
        const p1 = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?${range}&process=${main.p1.id}&channel=S2`);
        expect(p1.channels).toStrictEqual([info(main.s2)]);
        expect(p1.readings).toStrictEqual(expectedRows(mainRows, NOW - 26 * HOUR, NOW + 1, 'asc', [main.s2]));
        // A process without channels answers nothing, not an error.
        const none = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?${range}&process=${main.empty.id}`);
        expect([none.channels, none.readings, none['next-cursor']]).toStrictEqual([[], [], null]);
        // The relay that never reported is a known channel with no rows.
        const r2 = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?${range}&channel=R2`);
        expect([r2.channels, r2.readings]).toStrictEqual([[info(main.r2)], []]);
        const r2Down = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?${range}&channel=R2&interval=1h`);
        expect([r2Down.intervals, r2Down['next-cursor']]).toStrictEqual([[], null]);
      });

      it('orders newest first with order=desc', async () => {
        const asc = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?order=asc`);
        const desc = await getJson<ReadingsPage>(`/controller/readings/${mainSerial()}?order=desc`);
        expect(desc.order).toBe('desc');
        expect(desc.readings).toStrictEqual([...asc.readings!].reverse());
        expect(desc.readings).toStrictEqual(expectedRows(mainRows, NOW - DAY, NOW, 'desc'));
      });

      for (const order of ['asc', 'desc'] as const) {
        it(`walking a range page by page (${order}) equals one big query, for several page sizes`, async () => {
          const from = H0 + 6 * HOUR + 123;
          const to = H0 + 42 * HOUR + 456;
          const range = `start=${iso(from)}&end=${iso(to)}&order=${order}`;
          const all = await getJson<ReadingsPage>(histUrl(`${range}&limit=10000`));
          expect(all['next-cursor']).toBeNull();
          expect(all.readings).toStrictEqual(expectedRows(histRows, from, to, order));
          expect(all.readings!.length).toBeGreaterThan(1000);
          for (const limit of [37, 4, 1000]) {
            const { pages, readings } = await walk(histUrl(`${range}&limit=${limit}`));
            expect(readings, `limit ${limit}`).toStrictEqual(all.readings);
            for (const page of pages.slice(0, -1)) expect(page.readings).toHaveLength(limit);
            for (const page of pages) expect([page.start, page.end, page.order]).toEqual([iso(from), iso(to), order]);
          }
          // One row per page over a shorter stretch, through a filter.
          const short = `start=${iso(H0 + 6 * HOUR)}&end=${iso(H0 + 8 * HOUR)}&order=${order}&channel=S1,S3`;
          const { pages, readings } = await walk(histUrl(`${short}&limit=1`));
          expect(readings).toStrictEqual(expectedRows(histRows, H0 + 6 * HOUR, H0 + 8 * HOUR, order, [hist.ch.S1!, hist.ch.S3!]));
          expect(pages.length).toBeGreaterThanOrEqual(readings.length);
          // A process's channels, walked.
          const loop = await walk(histUrl(`${range}&process=${hist.processes[1]!.id}&limit=50`));
          expect(loop.readings).toStrictEqual(expectedRows(histRows, from, to, order, [hist.ch.S3!]));
        });
      }

      for (const order of ['asc', 'desc'] as const) {
        it(`cursor pagination (${order}) stays exact while readings are inserted between and during page requests`, async () => {
          const rig = await addController(store, a, `Busy Tower ${order}`, ['Tower', 'Loop'], FOUR_CHANNELS);
          const chans = Object.values(rig.ch);
          const T = Date.parse('2026-10-01T00:00:00Z');
          const from = T;
          const to = T + 3 * HOUR;
          // Two hours of a one-minute grid on every channel, plus readings past the range.
          const initial: Known[] = [];
          for (let i = 0; i < 120; i++) for (const ch of chans) initial.push({ channel: ch, time: T + i * MINUTE, value: i });
          for (const ch of chans) initial.push({ channel: ch, time: to + MINUTE, value: -1 });
          await store.ingest(rig.controller.id, { readings: toIngest(initial), alarms: [] }, NOW);
          const before = expectedRows(initial, from, to, order);
          const key = (r: ReadingRow) => `${r['channel-number']}@${r.time}`;

          const url = `/controller/readings/${rig.controller.serialNumber}?start=${iso(from)}&end=${iso(to)}&order=${order}&limit=25`;
          const seen: ReadingRow[] = [];
          const mustSee = new Set<string>();
          const mustNotSee = new Set<string>();
          let cursor: string | null = null;
          let page = 0;
          let offset = 1;
          do {
            const pageUrl = cursor === null ? url : withCursor(url, cursor);
            // Every other page, a batch lands while the page is being read: either outcome is fine.
            const racing: Known[] =
              page % 2 === 1
                ? chans.map((ch, i) => ({ channel: ch, time: T + ((page * 7 + i * 31) % 180) * MINUTE + 20 * SECOND + page, value: 5000 + page }))
                : [];
            const [res] = await Promise.all([
              get(pageUrl),
              racing.length > 0 ? store.ingest(rig.controller.id, { readings: toIngest(racing), alarms: [] }, NOW) : Promise.resolve(),
            ]);
            expect(res.statusCode, res.body).toBe(200);
            const body = res.json() as ReadingsPage;
            seen.push(...body.readings!);
            cursor = body['next-cursor'];
            page += 1;
            if (cursor === null) break;
            // Between pages: a reading on each side of the cursor, on two channels, inside the range.
            const last = Date.parse(body.readings!.at(-1)!.time);
            const ahead = order === 'asc' ? 1 : -1;
            const batch: Known[] = [];
            for (const ch of [rig.ch.S1!, rig.ch.R1!]) {
              batch.push({ channel: ch, time: last + ahead * (30 * SECOND + offset), value: 9000 + offset });
              batch.push({ channel: ch, time: last - ahead * (10 * SECOND + offset), value: -9000 - offset });
              offset += 1;
            }
            const inRange = batch.filter((r) => r.time >= from && r.time < to);
            const outcome = await store.ingest(rig.controller.id, { readings: toIngest(inRange), alarms: [] }, NOW);
            // What this batch really added (a resend of an existing (channel, time) would be ignored).
            for (const r of outcome.stored) {
              const k = `${inRange.find((x) => x.channel.id === r.channelId)!.channel.number}@${iso(r.time)}`;
              ((r.time - last) * ahead > 0 ? mustSee : mustNotSee).add(k);
            }
          } while (page < 200);
          expect(cursor).toBeNull();

          // Never a row twice, and the walk moves strictly in one direction by (time, channel).
          const keys = seen.map(key);
          expect(new Set(keys).size).toBe(keys.length);
          const idOf = new Map(chans.map((c) => [c.number, c.id]));
          for (let i = 1; i < seen.length; i++) {
            const [p, q] = [seen[i - 1]!, seen[i]!];
            const cmp = Date.parse(q.time) - Date.parse(p.time) || idOf.get(q['channel-number'])! - idOf.get(p['channel-number'])!;
            expect(order === 'asc' ? cmp > 0 : cmp < 0, `${key(p)} then ${key(q)}`).toBe(true);
          }
          // Everything that was there when the walk began, exactly once.
          const seenKeys = new Set(keys);
          for (const r of before) expect(seenKeys.has(key(r)), `missing ${key(r)}`).toBe(true);
          // Readings that arrived ahead of the cursor are reached; those behind it are not revisited.
          expect(mustSee.size).toBeGreaterThan(10);
          for (const k of mustSee) expect(seenKeys.has(k), `arrived ahead of the cursor but not returned: ${k}`).toBe(true);
          for (const k of mustNotSee) expect(seenKeys.has(k), `arrived behind the cursor but returned: ${k}`).toBe(false);
          // Nothing outside the range, and the values are what was stored.
          for (const r of seen) expect(Date.parse(r.time) >= from && Date.parse(r.time) < to).toBe(true);
          const stored = await getJson<ReadingsPage>(`/controller/readings/${rig.controller.serialNumber}?start=${iso(from)}&end=${iso(to)}&order=${order}&limit=10000`);
          const storedByKey = new Map(stored.readings!.map((r) => [key(r), r.value]));
          for (const r of seen) expect(storedByKey.get(key(r))).toBe(r.value);
        });
      }
    });

    describe('controller/readings (downsampled)', () => {
      const UNALIGNED = { from: H0 + 3 * HOUR + 17 * MINUTE + 23_456, to: H0 + 2 * DAY + 19 * HOUR + MINUTE + 2_500 };
      const INTERVALS: [text: string, seconds: number][] = [
        ['60s', 60],
        ['90', 90],
        ['7m', 420],
        ['15m', 900],
        ['1h', 3600],
        ['1d', 86_400],
      ];

      for (const [text, seconds] of INTERVALS) {
        it(`interval=${text}: min/max/avg/last/count per channel and epoch-aligned bucket, asc and desc, aligned and unaligned ranges`, async () => {
          for (const { from, to } of [{ from: H0, to: H_END }, UNALIGNED]) {
            const expected = expectedIntervals(histRows, from, to, seconds * 1000);
            expect(expected.length).toBeGreaterThan(0);
            for (const order of ['asc', 'desc'] as const) {
              const url = histUrl(`start=${iso(from)}&end=${iso(to)}&interval=${text}&order=${order}&limit=10000`);
              const { pages, intervals } = await walk(url);
              const label = `${text} ${order} [${iso(from)}, ${iso(to)})`;
              expectSameIntervals(intervals, order === 'asc' ? expected : [...expected].reverse(), label);
              for (const page of pages) {
                expect(page.interval, label).toBe(seconds);
                expect(page.readings, label).toBeUndefined();
                expect([page.start, page.end, page.order]).toEqual([iso(from), iso(to), order]);
                expect(page.channels).toStrictEqual(Object.values(hist.ch).map((c) => info(c)));
              }
            }
          }
        });
      }

      it('buckets are clipped to [start, end) but keep their epoch-aligned start time', async () => {
        const body = await getJson<ReadingsPage>(histUrl(`start=${iso(UNALIGNED.from)}&end=${iso(UNALIGNED.to)}&interval=1d&channel=S1`));
        const times = body.intervals!.map((r) => r.time);
        expect(times).toEqual([iso(H0), iso(H0 + DAY), iso(H0 + 2 * DAY)]);
        // The first day holds only what lies after `start`.
        const inFirst = histRows.filter((r) => r.channel.id === hist.ch.S1!.id && r.time >= UNALIGNED.from && r.time < H0 + DAY);
        expect(body.intervals![0]!.count).toBe(inFirst.length);
        // The readings just outside the three days (value 99999) never count.
        const whole = await getJson<ReadingsPage>(histUrl(`start=${iso(H0)}&end=${iso(H_END)}&interval=1d&channel=S1`));
        expect(Math.max(...whole.intervals!.map((r) => r.max))).toBeLessThan(99_999);
        const wider = await getJson<ReadingsPage>(histUrl(`start=${iso(H0 - 1)}&end=${iso(H_END + 1)}&interval=1d&channel=S1`));
        expectSameIntervals(wider.intervals!, expectedIntervals(histRows, H0 - 1, H_END + 1, DAY, [hist.ch.S1!]), 'wider');
        expect(wider.intervals!.map((r) => r.time)).toEqual([iso(H0 - DAY), iso(H0), iso(H0 + DAY), iso(H0 + 2 * DAY), iso(H_END)]);
      });

      it('filters by channel and process', async () => {
        for (const [query, channels] of [
          ['channel=S3', [hist.ch.S3!]],
          ['channel=S1,R1', [hist.ch.S1!, hist.ch.R1!]],
          [`process=${hist.processes[0]!.id}`, [hist.ch.S1!, hist.ch.S2!, hist.ch.R1!]],
        ] as const) {
          const { intervals } = await walk(histUrl(`start=${iso(H0)}&end=${iso(H_END)}&interval=1h&${query}`));
          expectSameIntervals(intervals, expectedIntervals(histRows, H0, H_END, HOUR, [...channels]), query);
        }
      });

      for (const [text, seconds, limit] of [
        ['1h', 3600, 5],
        ['15m', 900, 7],
        ['1d', 86_400, 1],
        ['7m', 420, 100],
      ] as const) {
        it(`interval=${text}, limit=${limit}: pages of at most ${limit} consecutive intervals reassemble to the full answer, both orders`, async () => {
          for (const { from, to } of [{ from: H0, to: H_END }, UNALIGNED]) {
            const expected = expectedIntervals(histRows, from, to, seconds * 1000);
            for (const order of ['asc', 'desc'] as const) {
              const label = `${text} limit ${limit} ${order}`;
              const { pages, intervals } = await walk(histUrl(`start=${iso(from)}&end=${iso(to)}&interval=${text}&order=${order}&limit=${limit}`));
              expectSameIntervals(intervals, order === 'asc' ? expected : [...expected].reverse(), label);
              const bucketsSeen = new Set<string>();
              for (const page of pages) {
                const times = [...new Set(page.intervals!.map((r) => r.time))];
                expect(times.length, label).toBeLessThanOrEqual(limit);
                // Consecutive intervals: the page spans at most `limit` of them.
                if (times.length > 0) {
                  const ms = times.map((t) => Date.parse(t));
                  expect((Math.max(...ms) - Math.min(...ms)) / (seconds * 1000), label).toBeLessThan(limit);
                }
                // A bucket never straddles two pages.
                for (const t of times) {
                  expect(bucketsSeen.has(t), `${label}: bucket ${t} split across pages`).toBe(false);
                  bucketsSeen.add(t);
                }
              }
            }
          }
        });
      }

      it('sparse data with long gaps: every page that promises more has data, and the walk skips the gaps', async () => {
        const rig = await addController(store, a, 'Sparse Tower', ['Tower', 'Loop'], [FOUR_CHANNELS[0]!, FOUR_CHANNELS[2]!]);
        const T = Date.parse('2026-06-01T00:00:00Z');
        const rows: Known[] = [
          { channel: rig.ch.S1!, time: T + 5 * MINUTE, value: 1 },
          { channel: rig.ch.S1!, time: T + 5 * MINUTE + 1, value: 2 },
          { channel: rig.ch.S3!, time: T + 10 * DAY + 7 * HOUR, value: 3.5 },
          { channel: rig.ch.S1!, time: T + 40 * DAY + 3 * HOUR + 59 * MINUTE, value: -4 },
          { channel: rig.ch.S3!, time: T + 40 * DAY + 3 * HOUR, value: 5 },
          { channel: rig.ch.S1!, time: T + 88 * DAY, value: 6 },
        ];
        await store.ingest(rig.controller.id, { readings: toIngest(rows), alarms: [] }, NOW);
        const from = T - DAY;
        const to = T + 100 * DAY;
        for (const [text, ms] of [
          ['1m', MINUTE],
          ['1h', HOUR],
          ['1', SECOND],
        ] as const) {
          const expected = expectedIntervals(rows, from, to, ms);
          const distinct = new Set(expected.map((r) => r.time)).size;
          for (const order of ['asc', 'desc'] as const) {
            for (const limit of [1, 2]) {
              const label = `sparse ${text} ${order} limit ${limit}`;
              // Without skipping, a one-minute walk of 100 days would take 144,000 pages.
              const { pages, intervals } = await walk(`/controller/readings/${rig.controller.serialNumber}?start=${iso(from)}&end=${iso(to)}&interval=${text}&order=${order}&limit=${limit}`, distinct + 2);
              expectSameIntervals(intervals, order === 'asc' ? expected : [...expected].reverse(), label);
              // Only the very last page may be empty (its cursor is then null).
              pages.slice(0, -1).forEach((p, i) => expect(p.intervals!.length, `${label}: page ${i}`).toBeGreaterThan(0));
              expect(pages.length, label).toBeLessThanOrEqual(distinct + 1);
            }
          }
        }
        // The raw readings of the same range, two at a time.
        const raw = await walk(`/controller/readings/${rig.controller.serialNumber}?start=${iso(from)}&end=${iso(to)}&limit=2`, 10);
        expect(raw.readings).toStrictEqual(expectedRows(rows, from, to));
      });

      it('a downsampled page of a range without data is empty and final', async () => {
        const body = await getJson<ReadingsPage>(histUrl(`start=${iso(H0 - 30 * DAY)}&end=${iso(H0 - DAY)}&interval=1h`));
        expect([body.intervals, body['next-cursor'], body.interval]).toStrictEqual([[], null, 3600]);
      });
    });

    describe('controller/alarm-history', () => {
      const alarmsUrl = (serial: string, query = '') => `/controller/alarm-history/${serial}${query}`;
      const expectedMain = () => {
        const row = (id: number, type: string, code: number, text: string, ch: Channel | null, severity: string, raised: number, cleared?: number): AlarmInfo & { id: number } => ({
          id,
          'alarm-type': type,
          'alarm-id': code,
          'alarm-text': text,
          'channel-name': ch?.name ?? '',
          'channel-number': ch?.number ?? '',
          'alarm-severity': severity,
          'raised-at': iso(raised),
          ...(cleared === undefined ? {} : { 'cleared-at': iso(cleared) }),
        });
        return [
          row(mainAlarms.e4, 'controller-alarm', 7, 'Relay timeout', main.r1, 'info', NOW - 3 * HOUR, NOW - 2 * HOUR),
          row(mainAlarms.e3, 'flow-switch', 9, 'pH low', main.s2, 'warning', NOW - 4 * HOUR),
          row(mainAlarms.e2, 'controller-alarm', 48, 'No Flow', null, 'warning', NOW - 4 * HOUR),
          row(mainAlarms.e1, 'controller-alarm', 101, 'High conductivity', main.s11, 'critical', NOW - 5 * HOUR),
          row(mainAlarms.e5, 'controller-alarm', 12, 'Spare level', main.s99, 'info', NOW - 30 * HOUR),
        ];
      };
      const wire = (rows: (AlarmInfo & { id: number })[]) => rows.map(({ id: _id, ...rest }) => rest);

      it('lists active and cleared alarms newest first (raised-at, then id), cleared ones with cleared-at', async () => {
        const body = await getJson<AlarmPage>(alarmsUrl(mainSerial()));
        expect(Object.keys(body).sort()).toEqual(['alarm-info', 'next-cursor', 'serial-number']);
        expect(body['serial-number']).toBe(mainSerial());
        expect(body['next-cursor']).toBeNull();
        expect(body['alarm-info']).toStrictEqual(wire(expectedMain()));
        // The server's own alarm is history too.
        const own = await getJson<AlarmPage>(alarmsUrl(silent.controller.serialNumber));
        expect(own['alarm-info'].map((x) => [x['alarm-type'], x['alarm-id'], 'cleared-at' in x])).toEqual([['fluent-alarm', 1, false]]);
        expect(await getJson<AlarmPage>(alarmsUrl(hist.controller.serialNumber))).toStrictEqual({ 'serial-number': hist.controller.serialNumber, 'alarm-info': [], 'next-cursor': null });
      });

      it('filters by raised-at in [start, end) and by severity (repeated or comma-separated)', async () => {
        const all = expectedMain();
        const cases: [string, (x: AlarmInfo & { id: number }) => boolean][] = [
          [`?start=${iso(NOW - 4 * HOUR)}`, (x) => Date.parse(x['raised-at']) >= NOW - 4 * HOUR],
          [`?end=${iso(NOW - 4 * HOUR)}`, (x) => Date.parse(x['raised-at']) < NOW - 4 * HOUR],
          [`?start=${iso(NOW - 5 * HOUR)}&end=${iso(NOW - 3 * HOUR)}`, (x) => Date.parse(x['raised-at']) >= NOW - 5 * HOUR && Date.parse(x['raised-at']) < NOW - 3 * HOUR],
          [`?start=${iso(NOW - 4 * HOUR)}&end=${iso(NOW - 4 * HOUR)}`, () => false],
          ['?severity=warning', (x) => x['alarm-severity'] === 'warning'],
          ['?severity=info,critical', (x) => x['alarm-severity'] !== 'warning'],
          ['?severity=info&severity=critical', (x) => x['alarm-severity'] !== 'warning'],
          ['?severity=critical,warning&severity=info', () => true],
          [`?severity=info&start=${iso(NOW - DAY)}`, (x) => x['alarm-severity'] === 'info' && Date.parse(x['raised-at']) >= NOW - DAY],
        ];
        for (const [query, keep] of cases) {
          const body = await getJson<AlarmPage>(alarmsUrl(mainSerial(), query));
          expect(body['alarm-info'], query).toStrictEqual(wire(all.filter(keep)));
        }
      });

      it('pages with a cursor, ties on raised-at included, with and without filters', async () => {
        const serial = alarmRig.controller.serialNumber;
        const full = await getJson<AlarmPage>(alarmsUrl(serial));
        const expected = [...alarmRows]
          .sort((x, y) => y.raisedAt - x.raisedAt || y.id - x.id)
          .map((x) => ({
            'alarm-type': 'controller-alarm',
            'alarm-id': x.code,
            'alarm-text': `Alarm ${x.code - 200}`,
            'channel-name': x.channel?.name ?? '',
            'channel-number': x.channel?.number ?? '',
            'alarm-severity': x.severity,
            'raised-at': iso(x.raisedAt),
            ...(x.cleared === null ? {} : { 'cleared-at': iso(x.cleared) }),
          }));
        expect(full['alarm-info']).toStrictEqual(expected);
        for (const [query, keep] of [
          ['', () => true],
          ['severity=critical,info', (x: AlarmInfo) => x['alarm-severity'] !== 'warning'],
          [`start=${iso(NOW - 10 * DAY + 2 * MINUTE)}&end=${iso(NOW - 10 * DAY + 8 * MINUTE)}`, (x: AlarmInfo) => x['raised-at'] >= iso(NOW - 10 * DAY + 2 * MINUTE) && x['raised-at'] < iso(NOW - 10 * DAY + 8 * MINUTE)],
        ] as const) {
          for (const limit of [1, 3, 7, 1000]) {
            const pages: AlarmPage[] = [];
            let cursor: string | null = null;
            do {
              const base = alarmsUrl(serial, `?limit=${limit}${query ? `&${query}` : ''}`);
              const page: AlarmPage = await getJson<AlarmPage>(cursor === null ? base : withCursor(base, cursor));
              pages.push(page);
              cursor = page['next-cursor'];
              if (cursor !== null) expect(page['alarm-info']).toHaveLength(limit);
              expect(pages.length).toBeLessThan(50);
            } while (cursor !== null);
            const label = `${query} limit ${limit}`;
            expect(pages.flatMap((p) => p['alarm-info']), label).toStrictEqual(expected.filter(keep));
          }
        }
      });
    });

    describe('/version', () => {
      it('answers the API and server versions and the build, without credentials', async () => {
        for (const headers of [{}, asUser(a.user)]) {
          const body = await getJson('/version', headers);
          expect(Object.keys(body).sort()).toEqual(['api-version', 'build', 'server-version']);
          expect(body['api-version']).toBe(FLUENT_API_VERSION);
          expect(body['api-version']).toBe('1.0.0');
          expect(body['server-version']).toBe(PACKAGE_VERSION);
          expect(typeof body.build).toBe('string');
          expect((body.build as string).length).toBeGreaterThan(0);
        }
      });
    });

    // --- bad input -------------------------------------------------------------------------

    describe('bad input answers a 4xx {"error"}, never a 500', () => {
      const SERIAL_ROUTES = ['current-readings', 'active-alarms', 'hierarchy', 'readings', 'alarm-history'];

      it('unknown, foreign and non-digit serials are 404 on every route', async () => {
        const serials = ['9999999999', '1', '0', '1'.repeat(20), '1'.repeat(64), b.controller.serialNumber, 'abc', '19000a0000', '-1', '1.5', '0x1F', `${mainSerial()}.0`, `0${mainSerial()}`, `%2B${mainSerial()}`, `%20${mainSerial()}`, 'null', 'undefined'];
        for (const route of SERIAL_ROUTES) {
          for (const serial of serials) {
            const res = await get(`/controller/${route}/${serial}`);
            expectFluentError(res, 404, /not found/i);
            expect(res.body).not.toContain('"readings"');
          }
        }
      });

      it('over-long serials (up to the router\'s limit) are 404 like any unknown serial', async () => {
        for (const route of SERIAL_ROUTES) {
          for (const serial of ['1'.repeat(65), '9'.repeat(200)]) expectFluentError(await get(`/controller/${route}/${serial}`), 404, /not found/i);
        }
      });

      it('serials refused before routing (beyond the router\'s limit, NUL bytes, bad escapes) are still a 4xx {"error"}', async () => {
        for (const serial of ['1'.repeat(201), '1'.repeat(5000), `${mainSerial()}%00`, '%zz', '%']) {
          const res = await app.inject({ url: `/controller/current-readings/${serial}`, headers: asUser(a.user) });
          expectClientError(res);
        }
      });

      it('bad times and reversed ranges are 400', async () => {
        const serial = mainSerial();
        for (const bad of ['abc', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-24T24:00:00Z', '2026-11-24', '1732435200000', '2026-11-24T08:00:00+25:00', '', 'now', '2026-11-24T08:00:00.000ZZ']) {
          for (const param of ['start', 'end']) {
            for (const path of [`/controller/readings/${serial}?`, `/controller/readings/${serial}?interval=1h&`, `/controller/alarm-history/${serial}?`]) {
              expectFluentError(await get(`${path}${param}=${encodeURIComponent(bad)}`), 400);
            }
          }
        }
        const reversed = `start=${iso(NOW - HOUR)}&end=${iso(NOW - 2 * HOUR)}`;
        for (const url of [`/controller/readings/${serial}?${reversed}`, `/controller/readings/${serial}?${reversed}&interval=1m`, `/controller/alarm-history/${serial}?${reversed}`]) {
          expectFluentError(await get(url), 400, /revers/i);
        }
        // A start after the default end (now) is reversed too.
        expectFluentError(await get(`/controller/readings/${serial}?start=${iso(NOW + 1)}`), 400, /revers/i);
      });

      it('unknown channels are 400 naming the channel; unknown processes are 404', async () => {
        const serial = mainSerial();
        for (const [query, named] of [
          ['channel=S5', 'S5'],
          ['channel=S11,S5', 'S5'],
          ['channel=S11&channel=X9', 'X9'],
          ['channel=S99', 'S99'], // exists, but without a process: no data
          [`channel=S11&process=${main.boiler.id}`, 'S11'], // not a channel of that process
          ['channel=S1', 'S1'], // a channel of another controller of A
          ['channel=S11&interval=1h&channel=R9', 'R9'],
        ] as const) {
          const res = await get(`/controller/readings/${serial}?${query}`);
          expectFluentError(res, 400);
          expect((res.json() as { error: string }).error, query).toContain(`"${named}"`);
        }
        for (const process of ['999999', String(hist.processes[0]!.id)]) {
          expectFluentError(await get(`/controller/readings/${serial}?process=${process}`), 404, /not found/i);
          expectFluentError(await get(`/controller/readings/${serial}?process=${process}&interval=1h`), 404, /not found/i);
        }
        for (const process of ['abc', '0', '-1', '1.5', '99999999999999999999']) expectFluentError(await get(`/controller/readings/${serial}?process=${process}`), 400);
      });

      it('bad cursors are 400: garbage, another kind of page, another order', async () => {
        const serial = hist.controller.serialNumber;
        const range = `start=${iso(H0)}&end=${iso(H_END)}`;
        const asc = await getJson<ReadingsPage>(histUrl(`${range}&limit=5`));
        const desc = await getJson<ReadingsPage>(histUrl(`${range}&limit=5&order=desc`));
        const ascBuckets = await getJson<ReadingsPage>(histUrl(`${range}&limit=5&interval=1h`));
        const descBuckets = await getJson<ReadingsPage>(histUrl(`${range}&limit=5&interval=1h&order=desc`));
        const alarms = await getJson<AlarmPage>(`/controller/alarm-history/${alarmRig.controller.serialNumber}?limit=2`);
        const [rAsc, rDesc, bAsc, bDesc, aCursor] = [asc, desc, ascBuckets, descBuckets, alarms].map((p) => p['next-cursor']!) as [string, string, string, string, string];
        for (const c of [rAsc, rDesc, bAsc, bDesc, aCursor]) expect(typeof c).toBe('string');
        const b64 = (s: string) => Buffer.from(s).toString('base64url');
        const garbage = ['abc', '!!!!', '%00', 'a'.repeat(201), b64('r:asc'), b64('r:asc:1'), b64('r:asc:x:1'), b64('r:asc:1:2:3'), b64('x:asc:1:2'), b64('r:sideways:1:2'), b64('r:asc:-1:2'), b64('r:asc:1e3:2'), b64('a:1:2:3'), '', ' '];
        const cases: [string, string, RegExp?][] = [
          ...garbage.map((c): [string, string] => [histUrl(range), c]),
          ...garbage.map((c): [string, string] => [histUrl(`${range}&interval=1h`), c]),
          ...garbage.map((c): [string, string] => [`/controller/alarm-history/${serial}`, c]),
          // Another order.
          [histUrl(`${range}&order=desc`), rAsc, /order/],
          [histUrl(range), rDesc, /order/],
          [histUrl(`${range}&order=desc&interval=1h`), bAsc, /order/],
          [histUrl(`${range}&interval=1h`), bDesc, /order/],
          // Another kind of page.
          [histUrl(`${range}&interval=1h`), rAsc],
          [histUrl(range), bAsc],
          [histUrl(range), aCursor],
          [histUrl(`${range}&interval=1h`), aCursor],
          [`/controller/alarm-history/${serial}`, rAsc],
          [`/controller/alarm-history/${serial}`, bDesc],
        ];
        for (const [url, cursor, message] of cases) {
          const res = await get(`${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`);
          expectFluentError(res, 400, message);
          expect((res.json() as { error: string }).error).toMatch(/cursor/);
        }
      });

      it('bad intervals, limits, orders and severities are 400', async () => {
        const serial = mainSerial();
        for (const interval of ['0', '0s', '0d', 'abc', '99999999d', '9999999d', '367d', '1w', '-1', '1.5h', '1h30m', '', ' 1h', 'h', '1H']) {
          expectFluentError(await get(`/controller/readings/${serial}?interval=${encodeURIComponent(interval)}`), 400, /interval/);
        }
        for (const limit of ['0', '10001', 'abc', '-1', '1.5', '']) {
          expectFluentError(await get(`/controller/readings/${serial}?limit=${limit}`), 400, /limit/);
          expectFluentError(await get(`/controller/readings/${serial}?interval=1h&limit=${limit}`), 400, /limit/);
        }
        for (const limit of ['0', '1001', 'abc']) expectFluentError(await get(`/controller/alarm-history/${serial}?limit=${limit}`), 400, /limit/);
        for (const order of ['up', 'DESC', 'ascending', '']) expectFluentError(await get(`/controller/readings/${serial}?order=${order}`), 400, /order/);
        for (const severity of ['bad', 'CRITICAL', 'info,bogus', 'warning&severity=nope']) {
          const res = await get(`/controller/alarm-history/${serial}?severity=${severity}`);
          expectFluentError(res, 400, /severity|bogus|nope/i);
        }
        expectFluentError(await get(`/controller/alarm-history/${serial}?severity=info&severity=info&severity=info&severity=info`), 400);
        // The limits themselves are fine.
        await getJson(`/controller/readings/${serial}?limit=10000&interval=366d`);
        await getJson(`/controller/readings/${serial}?limit=1&interval=1`);
        await getJson(`/controller/alarm-history/${serial}?limit=1000`);
      });

      it('unknown paths under /controller/ are a Fluent 404 with the rate-limit headers', async () => {
        const serial = mainSerial();
        for (const [method, url] of [
          ['GET', '/controller'],
          ['GET', '/controller/'],
          ['GET', '/controller/nope'],
          ['GET', '/controller/list/extra'],
          ['GET', '/controller/current-readings'],
          ['GET', '/controller/current-readings/'],
          ['GET', `/controller/readings/${serial}/extra`],
          ['GET', `/controller/current_readings/${serial}`],
          ['POST', '/controller/list/'],
          ['DELETE', `/controller/hierarchy/${serial}`],
        ] as const) {
          const res = await app.inject({ method, url, headers: asUser(a.user) });
          expectFluentError(res, 404, /not found/i);
        }
      });
    });

    // --- authentication ----------------------------------------------------------------------

    describe('authentication', () => {
      const routes = () => [
        '/controller/list/',
        '/controller/list',
        `/controller/current-readings/${mainSerial()}`,
        `/controller/active-alarms/${mainSerial()}`,
        `/controller/hierarchy/${mainSerial()}`,
        `/controller/readings/${mainSerial()}`,
        `/controller/alarm-history/${mainSerial()}`,
        '/controller/nope',
      ];

      it('no credentials, a bad token or a bad password: 401 {"error"} with the rate-limit headers', async () => {
        const u = a.user;
        const variants: [string, Record<string, string>][] = [
          ['none', {}],
          ['Token, unknown', { authorization: 'Token 00000000-0000-4000-8000-000000000000' }],
          ['Token, empty', { authorization: 'Token' }],
          ['Bearer, unknown', { authorization: `Bearer ${u.token}x` }],
          ['Basic, bad token', { authorization: basic(u.email, '00000000-0000-4000-8000-000000000000') }],
          ['Basic, bad password', { authorization: basic(u.email, 'not-the-password') }],
          ['Basic, unknown e-mail', { authorization: basic('nobody@nowhere.example', u.token) }],
          ['Basic, B e-mail with A token', { authorization: basic(b.user.email, u.token) }],
          ['Basic, not base64', { authorization: 'Basic %%%' }],
          ['Basic, no colon', { authorization: `Basic ${Buffer.from(u.email).toString('base64')}` }],
          ['unknown scheme', { authorization: `Digest ${u.token}` }],
        ];
        for (const url of routes()) {
          for (const [name, headers] of variants) {
            const res = await app.inject({ url, headers });
            expect(res.statusCode, `${name} ${url}: ${res.body}`).toBe(401);
            expectFluentError(res, 401);
            expect(res.body).not.toContain(mainSerial());
          }
        }
        expectFluentError(await app.inject({ url: routes()[0]! }), 401, 'Authentication credentials were not provided.');
      });

      it('Basic e-mail:token, Basic e-mail:password, Token and Bearer all work and see the same', async () => {
        for (const u of [a.user, a.admin]) {
          const ways = [
            basic(u.email, u.token),
            basic(u.email.toUpperCase(), u.token),
            basic(u.email, u.password),
            `Token ${u.token}`,
            `Bearer ${u.token}`,
          ];
          for (const url of routes().slice(0, -1)) {
            const bodies = new Set<string>();
            for (const authorization of ways) {
              const res = await get(url, { authorization });
              expect(res.statusCode, `${authorization.split(' ')[0]} ${url}: ${res.body}`).toBe(200);
              bodies.add(res.body);
            }
            expect(bodies.size, url).toBe(1);
          }
        }
      });
    });
  });
}
