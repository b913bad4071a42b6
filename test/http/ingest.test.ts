import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { PLATFORM_SCOPE } from '../../src/domain/scope.js';
import type { Channel } from '../../src/domain/types.js';
import { basic, buildTestApp, manualClock } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { API, expectNativeError, expectUnauthorized, ingest } from './support.js';

const NOW = Date.parse('2026-11-24T08:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const NOT_IN_PROCESS = 'Channel S99 is not assigned to a process; Flowline stores data only for channels that belong to a process.';

interface ApiChannel {
  id: number;
  number: string;
  latest_value: number | null;
  latest_time: string | null;
}
interface ApiController {
  id: number;
  serial_number: string;
  last_seen_at: string | null;
  channels: ApiChannel[];
}
interface ApiReading {
  id: number;
  time: string;
  value: number;
}

const report = (controller: string, over: Record<string, unknown> = {}) => ({
  controller,
  received: 0,
  stored: 0,
  duplicates: 0,
  not_stored: [],
  alarms: { raised: 0, cleared: 0, ignored: 0 },
  ...over,
});

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: ingest`, () => {
    let app: FastifyInstance;
    let store: TestStore;
    let drop: () => Promise<void>;
    const clock = manualClock(NOW);
    let tenants = 0;

    /** A fresh tenant per test, so that counts start from zero. */
    const tenant = () => createTenant(store, `Ingest Co ${++tenants}`);
    const count = (channel: Channel) => store.countReadings(PLATFORM_SCOPE, channel.id);
    const auth = (t: TenantFixture) => ({ authorization: basic(t.user.email, t.user.token) });

    async function readingsOf(t: TenantFixture, channel: Channel): Promise<ApiReading[]> {
      const res = await app.inject({ url: `${API}/channels/${channel.id}/readings?order=asc&limit=10000`, headers: auth(t) });
      expect(res.statusCode).toBe(200);
      return res.json().readings;
    }
    async function controllerOf(t: TenantFixture): Promise<ApiController> {
      const res = await app.inject({ url: `${API}/controllers`, headers: auth(t) });
      expect(res.statusCode).toBe(200);
      const list: ApiController[] = res.json().controllers;
      expect(list).toHaveLength(1);
      return list[0]!;
    }
    const channelOf = (c: ApiController, number: string) => c.channels.find((ch) => ch.number === number)!;
    async function alarmsOf(t: TenantFixture, active: boolean) {
      const res = await app.inject({ url: `${API}/alarms?active=${active}`, headers: auth(t) });
      expect(res.statusCode).toBe(200);
      return res.json().alarms as Record<string, unknown>[];
    }
    /** Nothing at all was written for this tenant: no readings, no alarms, not seen, no latest values. */
    async function expectUntouched(t: TenantFixture) {
      expect(await count(t.channels.s11)).toBe(0);
      expect(await count(t.channels.r1)).toBe(0);
      expect(await count(t.channels.unassigned)).toBe(0);
      expect(await alarmsOf(t, false)).toEqual([]);
      const c = await controllerOf(t);
      expect(c.last_seen_at).toBeNull();
      for (const ch of c.channels) expect([ch.number, ch.latest_value, ch.latest_time]).toEqual([ch.number, null, null]);
    }

    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
      app = await buildTestApp(store, clock);
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    describe('happy path', () => {
      it('stores a batch, updates latest values and last_seen_at, and serves it back', async () => {
        clock.set(NOW);
        const t = await tenant();
        const before = await controllerOf(t);
        expect(before.last_seen_at).toBeNull();
        expect(channelOf(before, 'S11').latest_value).toBeNull();

        const res = await ingest(app, t.ingestKey, {
          readings: [
            { channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1500.5 },
            { channel: 'S11', time: '2026-11-24T07:02:00Z', value: 1502.25 },
            { channel: 'S11', time: '2026-11-24T07:01:00Z', value: 1501 },
            { channel: 'R1', time: '2026-11-24T07:00:00Z', value: 1 },
          ],
        });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual(report(t.controller.serialNumber, { received: 4, stored: 4 }));
        expect(await count(t.channels.s11)).toBe(3);
        expect(await count(t.channels.r1)).toBe(1);

        const after = await controllerOf(t);
        expect(after.id).toBe(t.controller.id);
        expect(after.serial_number).toBe(t.controller.serialNumber);
        expect(after.last_seen_at).toBe('2026-11-24T08:00:00.000Z');
        expect(channelOf(after, 'S11')).toMatchObject({ latest_value: 1502.25, latest_time: '2026-11-24T07:02:00.000Z' });
        expect(channelOf(after, 'R1')).toMatchObject({ latest_value: 1, latest_time: '2026-11-24T07:00:00.000Z' });
        expect(channelOf(after, 'S99')).toMatchObject({ latest_value: null, latest_time: null });

        const served = await readingsOf(t, t.channels.s11);
        expect(served.map((r) => [r.time, r.value])).toEqual([
          ['2026-11-24T07:00:00.000Z', 1500.5],
          ['2026-11-24T07:01:00.000Z', 1501],
          ['2026-11-24T07:02:00.000Z', 1502.25],
        ]);
        expect(new Set(served.map((r) => r.id)).size).toBe(3);
        for (const r of served) expect(Number.isInteger(r.id)).toBe(true);
      });

      it('a back-filled reading does not replace a newer latest value; last_seen_at follows the clock', async () => {
        clock.set(NOW);
        const t = await tenant();
        expect((await ingest(app, t.ingestKey, { readings: [{ channel: 'S11', time: '2026-11-24T07:00:00Z', value: 10 }] })).statusCode).toBe(200);
        clock.advance(90_000);
        const late = await ingest(app, t.ingestKey, { readings: [{ channel: 'S11', time: '2026-11-24T06:00:00Z', value: 6 }] });
        expect(late.json()).toEqual(report(t.controller.serialNumber, { received: 1, stored: 1 }));
        const c = await controllerOf(t);
        expect(channelOf(c, 'S11')).toMatchObject({ latest_value: 10, latest_time: '2026-11-24T07:00:00.000Z' });
        expect(c.last_seen_at).toBe('2026-11-24T08:01:30.000Z');
        expect(await count(t.channels.s11)).toBe(2);
      });

      it('accepts Token as well as Bearer for the ingest key, and an empty batch', async () => {
        clock.set(NOW);
        const t = await tenant();
        const empty = await ingest(app, t.ingestKey, {});
        expect(empty.statusCode).toBe(200);
        expect(empty.json()).toEqual(report(t.controller.serialNumber));
        const res = await ingest(app, undefined, { readings: [{ channel: 'S11', time: '2026-11-24T07:00:00Z', value: 2 }] }, { authorization: `Token ${t.ingestKey}` });
        expect(res.statusCode).toBe(200);
        expect(res.json().stored).toBe(1);
      });

      it('accepts exactly 10,000 readings in one batch', async () => {
        clock.set(NOW);
        const t = await tenant();
        const start = Date.parse('2026-11-20T00:00:00Z');
        const readings = Array.from({ length: 10_000 }, (_, i) => ({ channel: 'S11', time: new Date(start + i * 1000).toISOString(), value: i / 4 }));
        const res = await ingest(app, t.ingestKey, { readings });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual(report(t.controller.serialNumber, { received: 10_000, stored: 10_000 }));
        expect(await count(t.channels.s11)).toBe(10_000);
        expect(channelOf(await controllerOf(t), 'S11')).toMatchObject({ latest_value: 9999 / 4, latest_time: new Date(start + 9999_000).toISOString() });
      });
    });

    describe('idempotency on (channel, time)', () => {
      it('a resent batch stores nothing, reports duplicates and leaves every reading as it was', async () => {
        clock.set(NOW);
        const t = await tenant();
        const batch = {
          readings: [
            { channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1 },
            { channel: 'S11', time: '2026-11-24T07:01:00Z', value: 2 },
            { channel: 'R1', time: '2026-11-24T07:00:00Z', value: 0 },
          ],
        };
        expect((await ingest(app, t.ingestKey, batch)).json()).toEqual(report(t.controller.serialNumber, { received: 3, stored: 3 }));
        const first = await readingsOf(t, t.channels.s11);
        const firstR1 = await readingsOf(t, t.channels.r1);
        const firstController = await controllerOf(t);

        clock.advance(60_000);
        const again = await ingest(app, t.ingestKey, batch);
        expect(again.statusCode).toBe(200);
        expect(again.json()).toEqual(report(t.controller.serialNumber, { received: 3, stored: 0, duplicates: 3 }));
        expect(await readingsOf(t, t.channels.s11)).toEqual(first);
        expect(await readingsOf(t, t.channels.r1)).toEqual(firstR1);
        expect(await count(t.channels.s11)).toBe(2);
        expect((await controllerOf(t)).channels).toEqual(firstController.channels);

        // A resend with different values (a device re-reading its buffer) keeps the first values.
        const changed = await ingest(app, t.ingestKey, { readings: batch.readings.map((r) => ({ ...r, value: r.value + 100 })) });
        expect(changed.json()).toEqual(report(t.controller.serialNumber, { received: 3, stored: 0, duplicates: 3 }));
        expect(await readingsOf(t, t.channels.s11)).toEqual(first);
        expect((await controllerOf(t)).channels).toEqual(firstController.channels);
      });

      it('a partly new batch stores only the new readings; the same instant written with an offset is a duplicate', async () => {
        clock.set(NOW);
        const t = await tenant();
        await ingest(app, t.ingestKey, { readings: [{ channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1 }] });
        const first = await readingsOf(t, t.channels.s11);
        const res = await ingest(app, t.ingestKey, {
          readings: [
            { channel: 'S11', time: '2026-11-24T09:00:00+02:00', value: 99 },
            { channel: 'S11', time: '2026-11-24T07:05:00Z', value: 5 },
          ],
        });
        expect(res.json()).toEqual(report(t.controller.serialNumber, { received: 2, stored: 1, duplicates: 1 }));
        const now = await readingsOf(t, t.channels.s11);
        expect(now[0]).toEqual(first[0]);
        expect(now.map((r) => r.value)).toEqual([1, 5]);
      });

      it('the same (channel, time) twice in one batch keeps the first', async () => {
        clock.set(NOW);
        const t = await tenant();
        const res = await ingest(app, t.ingestKey, {
          readings: [
            { channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1 },
            { channel: 'S11', time: '2026-11-24T07:00:00.000Z', value: 2 },
          ],
        });
        expect(res.json()).toEqual(report(t.controller.serialNumber, { received: 2, stored: 1, duplicates: 1 }));
        expect((await readingsOf(t, t.channels.s11)).map((r) => r.value)).toEqual([1]);
      });
    });

    describe('atomicity: one bad item and nothing of the batch is stored', () => {
      const good = Array.from({ length: 5 }, (_, i) => ({ channel: 'S11', time: `2026-11-24T07:0${i}:00Z`, value: i }));

      it('an unknown channel at the end of the batch', async () => {
        clock.set(NOW);
        const t = await tenant();
        const res = await ingest(app, t.ingestKey, { readings: [...good, { channel: 'R1', time: '2026-11-24T07:00:00Z', value: 1 }, { channel: 'S42', time: '2026-11-24T07:00:00Z', value: 1 }] });
        expectNativeError(res, 422, 'unprocessable', `Nothing was stored: /readings/6/channel: controller ${t.controller.serialNumber} has no channel "S42".`);
        await expectUntouched(t);
      });

      it('a bad time in the middle of the batch', async () => {
        clock.set(NOW);
        const t = await tenant();
        const res = await ingest(app, t.ingestKey, { readings: [...good.slice(0, 2), { channel: 'S11', time: '2026-02-30T00:00:00Z', value: 1 }, ...good.slice(2)] });
        expectNativeError(res, 400, 'invalid_request', 'Nothing was stored: /readings/2/time: "2026-02-30T00:00:00Z" is not an ISO 8601 date-time.');
        await expectUntouched(t);
      });

      it('a wrong type in the last item', async () => {
        clock.set(NOW);
        const t = await tenant();
        const res = await ingest(app, t.ingestKey, { readings: [...good, { channel: 'S11', time: '2026-11-24T07:59:00Z', value: '12' }] });
        expectNativeError(res, 400, 'invalid_request', /readings\/5\/value/);
        await expectUntouched(t);
      });

      it('a bad alarm event rejects the readings sent with it', async () => {
        clock.set(NOW);
        const t = await tenant();
        const unknown = await ingest(app, t.ingestKey, { readings: good, alarms: [{ event: 'raise', code: 1, channel: 'S77', time: '2026-11-24T07:00:00Z' }] });
        expectNativeError(unknown, 422, 'unprocessable', `Nothing was stored: /alarms/0/channel: controller ${t.controller.serialNumber} has no channel "S77".`);
        const badTime = await ingest(app, t.ingestKey, { readings: good, alarms: [{ event: 'raise', code: 1, time: '2026-11-24T07:00:61Z' }] });
        expectNativeError(badTime, 400, 'invalid_request', 'Nothing was stored: /alarms/0/time: "2026-11-24T07:00:61Z" is not an ISO 8601 date-time.');
        await expectUntouched(t);
      });

      it('counts the further problems in the message', async () => {
        clock.set(NOW);
        const t = await tenant();
        const res = await ingest(app, t.ingestKey, { readings: ['S1', 'S2', 'S3'].map((channel) => ({ channel, time: '2026-11-24T07:00:00Z', value: 1 })) });
        expectNativeError(res, 422, 'unprocessable', `Nothing was stored: /readings/0/channel: controller ${t.controller.serialNumber} has no channel "S1" (and 2 more unknown channels).`);
        await expectUntouched(t);
      });
    });

    describe('malformed bodies: 4xx and nothing stored', () => {
      const reading = { channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1 };
      const json = { 'content-type': 'application/json' };
      const cases: { name: string; body: unknown; headers?: Record<string, string>; status: number; code: string; message?: string | RegExp }[] = [
        { name: 'value as a string', body: { readings: [{ ...reading, value: '12' }] }, status: 400, code: 'invalid_request', message: /value/ },
        { name: 'value null', body: { readings: [{ ...reading, value: null }] }, status: 400, code: 'invalid_request', message: /value/ },
        { name: 'value missing', body: { readings: [{ channel: 'S11', time: reading.time }] }, status: 400, code: 'invalid_request', message: /value/ },
        { name: 'value a boolean', body: { readings: [{ ...reading, value: true }] }, status: 400, code: 'invalid_request', message: /value/ },
        { name: 'value an object', body: { readings: [{ ...reading, value: { v: 1 } }] }, status: 400, code: 'invalid_request', message: /value/ },
        { name: 'value overflowing to Infinity (1e400)', body: '{"readings":[{"channel":"S11","time":"2026-11-24T07:00:00Z","value":1e400}]}', headers: json, status: 400, code: 'invalid_request', message: /value/ },
        { name: 'value overflowing to -Infinity (-1e400)', body: '{"readings":[{"channel":"S11","time":"2026-11-24T07:00:00Z","value":-1e400}]}', headers: json, status: 400, code: 'invalid_request', message: /value/ },
        { name: 'channel a number', body: { readings: [{ ...reading, channel: 11 }] }, status: 400, code: 'invalid_request', message: /channel/ },
        { name: 'channel empty', body: { readings: [{ ...reading, channel: '' }] }, status: 400, code: 'invalid_request', message: /channel/ },
        { name: 'channel missing', body: { readings: [{ time: reading.time, value: 1 }] }, status: 400, code: 'invalid_request', message: /channel/ },
        { name: 'time a number (epoch ms)', body: { readings: [{ ...reading, time: Date.parse(reading.time) }] }, status: 400, code: 'invalid_request', message: /time/ },
        { name: 'time missing', body: { readings: [{ channel: 'S11', value: 1 }] }, status: 400, code: 'invalid_request', message: /time/ },
        { name: 'readings an object', body: { readings: reading }, status: 400, code: 'invalid_request', message: /readings/ },
        { name: 'readings a string', body: { readings: 'S11' }, status: 400, code: 'invalid_request', message: /readings/ },
        { name: 'readings null', body: { readings: null }, status: 400, code: 'invalid_request', message: /readings/ },
        { name: 'a reading that is not an object', body: { readings: [reading, 5] }, status: 400, code: 'invalid_request', message: /readings\/1/ },
        { name: 'the body an array', body: [reading], status: 400, code: 'invalid_request' },
        { name: 'the body JSON null', body: 'null', headers: json, status: 400, code: 'invalid_request' },
        { name: 'an unknown top-level property', body: { readings: [reading], extra: true }, status: 400, code: 'invalid_request', message: /extra|additional/ },
        { name: 'a misspelt top-level key (reading)', body: { reading: [reading] }, status: 400, code: 'invalid_request', message: /reading|additional/ },
        { name: '10,001 readings', body: { readings: Array.from({ length: 10_001 }, (_, i) => ({ channel: 'S11', time: new Date(NOW - DAY + i * 1000).toISOString(), value: i })) }, status: 400, code: 'invalid_request', message: /10000/ },
        { name: 'a body over 8 MB', body: `{"readings":[${JSON.stringify(reading)}]${' '.repeat(8 * 1024 * 1024)}}`, headers: json, status: 413, code: 'payload_too_large' },
        { name: 'month 13', body: { readings: [{ ...reading, time: '2026-13-01T00:00:00Z' }] }, status: 400, code: 'invalid_request', message: 'Nothing was stored: /readings/0/time: "2026-13-01T00:00:00Z" is not an ISO 8601 date-time.' },
        { name: 'February 30th', body: { readings: [{ ...reading, time: '2026-02-30T00:00:00Z' }] }, status: 400, code: 'invalid_request', message: 'Nothing was stored: /readings/0/time: "2026-02-30T00:00:00Z" is not an ISO 8601 date-time.' },
        { name: 'hour 25', body: { readings: [{ ...reading, time: '2026-11-24T25:00:00Z' }] }, status: 400, code: 'invalid_request', message: /is not an ISO 8601 date-time/ },
        { name: 'offset +25:00', body: { readings: [{ ...reading, time: '2026-11-24T07:00:00+25:00' }] }, status: 400, code: 'invalid_request', message: /is not an ISO 8601 date-time/ },
        { name: '"yesterday"', body: { readings: [{ ...reading, time: 'yesterday' }] }, status: 400, code: 'invalid_request', message: /time/ },
        { name: 'a date without a time', body: { readings: [{ ...reading, time: '2026-11-24' }] }, status: 400, code: 'invalid_request', message: /time/ },
        { name: 'more than a day in the future', body: { readings: [{ ...reading, time: new Date(NOW + DAY + 1).toISOString() }] }, status: 400, code: 'invalid_request', message: `Nothing was stored: /readings/0/time: "${new Date(NOW + DAY + 1).toISOString()}" is more than a day in the future.` },
        { name: 'an unknown channel', body: { readings: [{ ...reading, channel: 'S42' }] }, status: 422, code: 'unprocessable', message: /has no channel "S42"/ },
        { name: 'invalid JSON', body: '{"readings": [', headers: json, status: 400, code: 'invalid_request', message: /JSON/ },
        { name: 'an empty JSON body', body: '', headers: json, status: 400, code: 'invalid_request' },
        { name: 'content type application/xml', body: '<readings/>', headers: { 'content-type': 'application/xml' }, status: 415, code: 'invalid_request' },
        { name: 'content type text/plain', body: JSON.stringify({ readings: [reading] }), headers: { 'content-type': 'text/plain' }, status: 400, code: 'invalid_request' },
        { name: 'form-encoded', body: 'channel=S11&value=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'invalid_request' },
        { name: 'an unknown alarm event', body: { alarms: [{ event: 'explode', code: 1, time: reading.time }] }, status: 400, code: 'invalid_request', message: /event/ },
        { name: 'a negative alarm code', body: { alarms: [{ event: 'raise', code: -1, time: reading.time }] }, status: 400, code: 'invalid_request', message: /code/ },
        { name: 'an unknown alarm severity', body: { alarms: [{ event: 'raise', code: 1, severity: 'apocalyptic', time: reading.time }] }, status: 400, code: 'invalid_request', message: /severity/ },
        { name: 'an alarm message with a NUL character', body: { alarms: [{ event: 'raise', code: 1, message: 'level\u0000low', time: reading.time }] }, status: 400, code: 'invalid_request', message: /message/ },
        { name: 'an alarm type with a NUL character', body: { alarms: [{ event: 'raise', code: 1, type: 'x\u0000', time: reading.time }] }, status: 400, code: 'invalid_request', message: /type/ },
      ];

      for (const c of cases) {
        it(`${c.name} → ${c.status}`, async () => {
          clock.set(NOW);
          // A tenant of its own, so that one case that wrongly stores something fails alone.
          const t = await tenant();
          const res = await ingest(app, t.ingestKey, c.body, c.headers ?? {});
          expectNativeError(res, c.status, c.code, c.message);
          await expectUntouched(t);
        });
      }

      it('exactly one day ahead is still accepted (the limit is inclusive)', async () => {
        clock.set(NOW);
        const other = await tenant();
        const res = await ingest(app, other.ingestKey, { readings: [{ channel: 'S11', time: '2026-11-25T08:00:00Z', value: 1 }] });
        expect(res.statusCode).toBe(200);
        expect(res.json().stored).toBe(1);
      });
    });

    describe('channels without a process', () => {
      it('readings for S99 are reported as not stored, with index, channel and reason; the rest are stored', async () => {
        clock.set(NOW);
        const t = await tenant();
        const res = await ingest(app, t.ingestKey, {
          readings: [
            { channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1 },
            { channel: 'S99', time: '2026-11-24T07:00:00Z', value: 50 },
            { channel: 'R1', time: '2026-11-24T07:00:00Z', value: 1 },
            { channel: 'S99', time: '2026-11-24T07:01:00Z', value: 51 },
          ],
        });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual(
          report(t.controller.serialNumber, {
            received: 4,
            stored: 2,
            not_stored: [
              { index: 1, channel: 'S99', reason: NOT_IN_PROCESS },
              { index: 3, channel: 'S99', reason: NOT_IN_PROCESS },
            ],
          }),
        );
        expect(await count(t.channels.s11)).toBe(1);
        expect(await count(t.channels.r1)).toBe(1);
        expect(await count(t.channels.unassigned)).toBe(0);
        const c = await controllerOf(t);
        expect(channelOf(c, 'S99')).toMatchObject({ latest_value: null, latest_time: null });
        expect(channelOf(c, 'S11')).toMatchObject({ latest_value: 1 });
      });
    });

    describe('device authentication', () => {
      const body = { readings: [{ channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1 }] };

      it('an unknown ingest key is 401 and stores nothing', async () => {
        clock.set(NOW);
        const t = await tenant();
        expectUnauthorized(await ingest(app, 'flik_unknown', body), 'invalid_token', 'Unknown or revoked ingest key.');
        expectUnauthorized(await ingest(app, `${t.ingestKey}x`, body), 'invalid_token', 'Unknown or revoked ingest key.');
        await expectUntouched(t);
      });

      it("a user's API token, or Basic credentials, are not an ingest key", async () => {
        clock.set(NOW);
        const t = await tenant();
        expectUnauthorized(await ingest(app, t.admin.token, body), 'invalid_token', 'Unknown or revoked ingest key.');
        expectUnauthorized(await ingest(app, undefined, body, { authorization: basic(t.admin.email, t.admin.password) }), 'invalid_token', 'Unknown or revoked ingest key.');
        expectUnauthorized(await ingest(app, undefined, body, { authorization: basic(t.controller.serialNumber, t.ingestKey) }), 'invalid_token', 'Unknown or revoked ingest key.');
        await expectUntouched(t);
      });

      it('a missing or malformed header is 401', async () => {
        clock.set(NOW);
        const t = await tenant();
        expectUnauthorized(await ingest(app, undefined, body), 'not_authenticated', 'Authentication credentials were not provided.');
        expectUnauthorized(await ingest(app, undefined, body, { authorization: 'Bearer' }), 'malformed_authorization', 'Invalid token header. No credentials provided.');
        expectUnauthorized(await ingest(app, undefined, body, { authorization: `Bearer ${t.ingestKey} ${t.ingestKey}` }), 'malformed_authorization', 'Invalid token header. Token string should not contain spaces.');
        await expectUntouched(t);
      });

      it('the key is checked before the body: an unknown key with a broken body is still 401', async () => {
        expectUnauthorized(await ingest(app, 'flik_unknown', '{"readings": [', { 'content-type': 'application/json' }), 'invalid_token', 'Unknown or revoked ingest key.');
        expectUnauthorized(await ingest(app, undefined, 'x'.repeat(9 * 1024 * 1024), { 'content-type': 'application/json' }), 'not_authenticated', 'Authentication credentials were not provided.');
      });
    });

    describe('times', () => {
      it('stores times with an offset, with no offset (UTC), with a space, fractions and lower-case z at the right instant', async () => {
        clock.set(NOW);
        const t = await tenant();
        const res = await ingest(app, t.ingestKey, {
          readings: [
            { channel: 'S11', time: '2026-11-24T10:00:00+02:00', value: 1 },
            { channel: 'S11', time: '2026-11-24T05:30:00', value: 2 },
            { channel: 'S11', time: '2026-11-24T01:30:00-0330', value: 3 },
            { channel: 'S11', time: '2026-11-24 04:00:00Z', value: 4 },
            { channel: 'S11', time: '2026-11-24T03:00:00.5z', value: 5 },
            { channel: 'S11', time: '2026-11-24T02:00:00.123456789Z', value: 6 },
            { channel: 'S11', time: '2026-11-24T01:00Z', value: 7 },
          ],
        });
        expect(res.statusCode).toBe(200);
        expect(res.json().stored).toBe(7);
        const served = await readingsOf(t, t.channels.s11);
        expect(served.map((r) => [r.value, r.time])).toEqual([
          [7, '2026-11-24T01:00:00.000Z'],
          [6, '2026-11-24T02:00:00.123Z'],
          [5, '2026-11-24T03:00:00.500Z'],
          [4, '2026-11-24T04:00:00.000Z'],
          [3, '2026-11-24T05:00:00.000Z'],
          [2, '2026-11-24T05:30:00.000Z'],
          [1, '2026-11-24T08:00:00.000Z'],
        ]);
        // The same instant written another way is the same (channel, time).
        const same = await ingest(app, t.ingestKey, { readings: [{ channel: 'S11', time: '2026-11-24T08:00:00', value: 9 }, { channel: 'S11', time: '2026-11-24T05:00:00+00:00', value: 9 }] });
        expect(same.json()).toMatchObject({ stored: 0, duplicates: 2 });
      });

      it('a time before 1970 (including a two-digit-era year, never read as 19xx) is refused', async () => {
        clock.set(NOW);
        const t = await tenant();
        for (const time of ['0050-06-01T00:00:00Z', '1969-12-31T23:59:59Z']) {
          const res = await ingest(app, t.ingestKey, { readings: [{ channel: 'S11', time, value: 1 }] });
          expectNativeError(res, 400, 'invalid_request');
          expect(res.json().error.message).toContain('before 1970');
        }
        expect(await count(t.channels.s11)).toBe(0);
        const epoch = await ingest(app, t.ingestKey, { readings: [{ channel: 'S11', time: '1970-01-01T00:00:00Z', value: 1 }] });
        expect(epoch.json()).toMatchObject({ stored: 1 });
      });
    });

    describe('alarms through ingest', () => {
      it('raise, re-raise, clear: visible through GET /alarms?active=true', async () => {
        clock.set(NOW);
        const t = await tenant();
        const raised = await ingest(app, t.ingestKey, {
          alarms: [
            { event: 'raise', code: 12, channel: 'S11', type: 'high-alarm', severity: 'critical', message: 'Conductivity high', time: '2026-11-24T07:10:00Z' },
            { event: 'raise', code: 3, time: '2026-11-24T07:00:00+01:00' },
          ],
        });
        expect(raised.statusCode).toBe(200);
        expect(raised.json()).toEqual(report(t.controller.serialNumber, { alarms: { raised: 2, cleared: 0, ignored: 0 } }));
        expect((await controllerOf(t)).last_seen_at).toBe('2026-11-24T08:00:00.000Z');

        const active = await alarmsOf(t, true);
        expect(active).toEqual([
          { id: expect.any(Number), controller_id: t.controller.id, channel_id: t.channels.s11.id, type: 'high-alarm', code: 12, severity: 'critical', message: 'Conductivity high', raised_at: '2026-11-24T07:10:00.000Z', cleared_at: null },
          { id: expect.any(Number), controller_id: t.controller.id, channel_id: null, type: 'controller-alarm', code: 3, severity: 'warning', message: 'Alarm 3', raised_at: '2026-11-24T06:00:00.000Z', cleared_at: null },
        ]);

        const reraise = await ingest(app, t.ingestKey, { alarms: [{ event: 'raise', code: 12, channel: 'S11', time: '2026-11-24T07:20:00Z' }] });
        expect(reraise.json().alarms).toEqual({ raised: 0, cleared: 0, ignored: 1 });
        expect(await alarmsOf(t, true)).toEqual(active);

        const cleared = await ingest(app, t.ingestKey, {
          alarms: [
            { event: 'clear', code: 12, channel: 'S11', time: '2026-11-24T07:30:00Z' },
            { event: 'clear', code: 99, time: '2026-11-24T07:30:00Z' },
          ],
        });
        expect(cleared.json().alarms).toEqual({ raised: 0, cleared: 1, ignored: 1 });
        expect(await alarmsOf(t, true)).toEqual([active[1]]);
        expect(await alarmsOf(t, false)).toEqual([{ ...active[0], cleared_at: '2026-11-24T07:30:00.000Z' }, active[1]]);

        // Once cleared, the same code can be raised again as a new alarm.
        const again = await ingest(app, t.ingestKey, { alarms: [{ event: 'raise', code: 12, channel: 'S11', time: '2026-11-24T07:40:00Z' }] });
        expect(again.json().alarms).toEqual({ raised: 1, cleared: 0, ignored: 0 });
        const now = await alarmsOf(t, true);
        expect(now).toHaveLength(2);
        expect(now[0]).toMatchObject({ code: 12, raised_at: '2026-11-24T07:40:00.000Z', cleared_at: null });
        expect(now[0]!.id).not.toBe(active[0]!.id);
      });
    });

    describe('tenant boundaries', () => {
      it("an ingest key of tenant A never writes tenant B's channels", async () => {
        clock.set(NOW);
        const a = await tenant();
        const b = await tenant();
        const bOnly = await store.createChannel(PLATFORM_SCOPE, { controllerId: b.controller.id, processId: b.process.id, number: 'S42', name: 'pH', kind: 'input', type: 'ph' });
        await ingest(app, b.ingestKey, { readings: [{ channel: 'S11', time: '2026-11-24T06:00:00Z', value: 777 }] });
        const bBefore = await readingsOf(b, b.channels.s11);
        const bController = await controllerOf(b);
        clock.advance(60_000);

        // B's channel numbers on A's controller are just A's own channels.
        const res = await ingest(app, a.ingestKey, {
          readings: [
            { channel: 'S11', time: '2026-11-24T06:00:00Z', value: 1 },
            { channel: 'S11', time: '2026-11-24T07:00:00Z', value: 2 },
          ],
          alarms: [{ event: 'raise', code: 5, channel: 'S11', time: '2026-11-24T07:00:00Z' }],
        });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual(report(a.controller.serialNumber, { received: 2, stored: 2, alarms: { raised: 1, cleared: 0, ignored: 0 } }));
        expect(await count(a.channels.s11)).toBe(2);

        // A channel that only B has is unknown to A's controller.
        const foreign = await ingest(app, a.ingestKey, { readings: [{ channel: 'S42', time: '2026-11-24T07:00:00Z', value: 7 }] });
        expectNativeError(foreign, 422, 'unprocessable', `Nothing was stored: /readings/0/channel: controller ${a.controller.serialNumber} has no channel "S42".`);

        expect(await readingsOf(b, b.channels.s11)).toEqual(bBefore);
        expect(await count(b.channels.s11)).toBe(1);
        expect(await count(bOnly)).toBe(0);
        expect(await controllerOf(b)).toEqual(bController);
        expect(await alarmsOf(b, false)).toEqual([]);
        expect((await alarmsOf(a, true)).map((x) => x.code)).toEqual([5]);
      });
    });
  });
}
