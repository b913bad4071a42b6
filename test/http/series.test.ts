import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriesInterval } from '../../src/domain/series.js';
import { basic, buildTestApp, manualClock } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { API, expectNativeError, expectUnauthorized } from './support.js';

const NOW = Date.parse('2026-11-24T08:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Series {
  channel_id: number;
  unit: string | null;
  interval: number;
  from: string;
  to: string;
  t: number[];
  min: (number | null)[];
  max: (number | null)[];
  avg: (number | null)[];
  last: (number | null)[];
  count: number[];
}

describe('seriesInterval', () => {
  it('picks the finest ladder width giving at most `width` buckets, else the coarsest', () => {
    expect(seriesInterval(DAY, 1000)).toBe(5 * MINUTE);
    expect(seriesInterval(DAY, 1440)).toBe(MINUTE);
    expect(seriesInterval(7 * DAY, 1000)).toBe(15 * MINUTE);
    expect(seriesInterval(30 * DAY, 1000)).toBe(HOUR);
    expect(seriesInterval(90 * DAY, 1000)).toBe(6 * HOUR);
    expect(seriesInterval(365 * DAY, 1000)).toBe(DAY);
    expect(seriesInterval(5 * 365 * DAY, 1)).toBe(DAY);
  });
});

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: GET /channels/:id/series`, () => {
    let store: TestStore;
    let drop: () => Promise<void>;
    let app: FastifyInstance;
    let a: TenantFixture;
    let b: TenantFixture;
    const clock = manualClock(NOW);
    const asUser = (t: TenantFixture) => ({ authorization: basic(t.user.email, t.user.token) });
    const get = (t: TenantFixture, channelId: number, query = '') => app.inject({ url: `${API}/channels/${channelId}/series${query}`, headers: asUser(t) });

    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
      a = await createTenant(store, 'Series A');
      b = await createTenant(store, 'Series B');
      // S11 of A: one reading a minute over the last six hours but a quiet hour, out of order.
      const readings = [];
      for (let m = 6 * 60; m >= 1; m--) {
        if (m > 120 && m <= 180) continue;
        readings.push({ channelId: a.channels.s11.id, time: NOW - m * MINUTE, value: m % 10 });
      }
      await store.ingest(a.controller.id, { readings, alarms: [] }, NOW);
      // A year ago too, for the year range.
      await store.ingest(a.controller.id, { readings: [{ channelId: a.channels.s11.id, time: NOW - 300 * DAY, value: 5 }], alarms: [] }, NOW);
      await store.ingest(b.controller.id, { readings: [{ channelId: b.channels.s11.id, time: NOW - HOUR, value: 1 }], alarms: [] }, NOW);
      app = await buildTestApp(store, clock);
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('answers the last 24 hours by default, columnar, every bucket present and gaps null', async () => {
      const res = await get(a, a.channels.s11.id);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('private, max-age=10');
      const s = res.json() as Series;
      expect(s).toMatchObject({ channel_id: a.channels.s11.id, unit: a.channels.s11.unit, interval: 300, from: '2026-11-23T08:00:00.000Z', to: '2026-11-24T08:00:00.000Z' });
      expect(s.t).toHaveLength(288);
      expect(s.t[0]).toBe((NOW - DAY) / 1000);
      expect(s.t.every((t, i) => i === 0 || t - s.t[i - 1]! === 300)).toBe(true);
      for (const key of ['min', 'max', 'avg', 'last', 'count'] as const) expect(s[key]).toHaveLength(288);
      const filled = s.count.filter((c) => c > 0);
      expect(filled).toHaveLength(72 - 12);
      expect(filled.every((c) => c === 5)).toBe(true);
      expect(s.count.reduce((x, y) => x + y, 0)).toBe(300);
      // The bucket starting 6 h ago holds minutes 360..356 before now: values 0, 9, 8, 7, 6.
      const first = s.t.indexOf((NOW - 6 * HOUR) / 1000);
      expect([s.min[first], s.max[first], s.avg[first], s.last[first], s.count[first]]).toEqual([0, 9, 6, 6, 5]);
      // The quiet hour (3 h to 2 h ago) and everything before 6 h ago: null, count 0.
      const quiet = s.t.indexOf((NOW - 3 * HOUR) / 1000);
      expect(s.count.slice(quiet, quiet + 12)).toEqual(new Array(12).fill(0));
      expect(s.min.slice(quiet, quiet + 12)).toEqual(new Array(12).fill(null));
      expect(s.last[first - 1]).toBeNull();
    });

    it('reads a year at width 1000 in days, and a custom range at the width asked', async () => {
      const year = (await get(a, a.channels.s11.id, '?from=2025-11-24T08:00:00Z&to=2026-11-24T08:00:00Z&width=1000')).json() as Series;
      expect(year.interval).toBe(86400);
      expect(year.from).toBe('2025-11-24T00:00:00.000Z');
      expect(year.to).toBe('2026-11-25T00:00:00.000Z');
      expect(year.t).toHaveLength(366);
      expect(year.count.reduce((x, y) => x + y, 0)).toBe(301);
      expect(year.last[year.t.indexOf((NOW - 300 * DAY - ((NOW - 300 * DAY) % DAY)) / 1000)]).toBe(5);

      const hours = (await get(a, a.channels.s11.id, '?from=2026-11-24T02:30:00%2B00:00&to=2026-11-24T08:00:00Z&width=6')).json() as Series;
      expect(hours.interval).toBe(3600);
      expect(hours.from).toBe('2026-11-24T02:00:00.000Z');
      expect(hours.count).toEqual([60, 60, 60, 0, 60, 60]);
      expect(hours.max).toEqual([9, 9, 9, null, 9, 9]);
    });

    it('refuses bad input with the native error envelope', async () => {
      const ch = a.channels.s11.id;
      for (const query of [
        '?from=2026-11-24T08:00:00Z&to=2026-11-24T08:00:00Z',
        '?from=2026-11-24T09:00:00Z&to=2026-11-24T08:00:00Z',
        '?from=2020-01-01T00:00:00Z&to=2026-01-02T00:00:00Z',
        '?from=yesterday',
        '?to=2026-13-40T00:00:00Z',
        '?width=0',
        '?width=4001',
        '?width=wide',
      ]) {
        expectNativeError(await get(a, ch, query), 400, 'invalid_request');
      }
      expectNativeError(await get(a, ch, '?from=2026-11-24T09:00:00Z&to=2026-11-24T08:00:00Z'), 400, 'invalid_request', 'The range is empty or reversed: "from" must be before "to".');
    });

    it("answers 404 for another customer's channel exactly as for one that does not exist, and 401 without credentials", async () => {
      const missing = await get(a, 999_999);
      expectNativeError(missing, 404, 'not_found', 'Channel not found.');
      for (const channel of Object.values(b.channels)) expect((await get(a, channel.id)).body).toBe(missing.body);
      expect((await get(b, b.channels.s11.id)).statusCode).toBe(200);
      expectUnauthorized(await app.inject({ url: `${API}/channels/${a.channels.s11.id}/series` }), 'not_authenticated', 'Authentication credentials were not provided.');
    });
  });
}
