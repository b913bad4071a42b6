import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import { FLOW_SENSOR_MODEL, type Controller } from '../../../src/domain/types.js';
import { basic, buildTestApp, manualClock } from '../../helpers/app.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import {
  approx,
  at,
  createFlowCustomers,
  createFlowSensor,
  createFlowTenant,
  DAY,
  FC,
  fcTime,
  HOUR,
  HOUSTON,
  ingestPings,
  MINUTE,
  nextSerial,
  referenceVolume,
  storePings,
  type FlowSensorFixture,
  type FlowTenant,
  type PingSpec,
} from './fixtures.js';

/**
 * The FlowCommand face (seed 002) through app.inject, on every store: listing, pings,
 * DRF page-number pagination, flow volumes against hand-computed values, authentication,
 * tenant isolation on every route, and malformed input.
 */

const NOW = at('2026-11-24T08:00:00Z');
const HOST = 'flow.example.com';
const ORIGIN = `http://${HOST}`;

type Json = Record<string, unknown>;
type Tenant = FlowTenant & { sensors: FlowSensorFixture[] };

// Pings of the sensors, [ms, bbl/day].
const NORTH_PINGS: PingSpec[] = [
  [at('2026-03-01T00:00:00Z'), 100],
  [at('2026-03-01T06:00:00Z'), 200],
  [at('2026-03-01T12:00:00Z'), 300],
  [at('2026-03-01T18:00:00Z'), 400],
];
const BULK0 = at('2026-04-01T00:00:00Z');
/** 2,500 one-minute pings; the i-th is i bbl/day. */
const BULK_PINGS: PingSpec[] = Array.from({ length: 2500 }, (_, i) => [BULK0 + i * MINUTE, i] as const);
const CONST0 = at('2026-05-01T00:00:00Z');
/** 1000 bbl/day, hourly, for exactly 24 hours. */
const CONSTANT_PINGS: PingSpec[] = Array.from({ length: 25 }, (_, i) => [CONST0 + i * HOUR, 1000] as const);
const R0 = at('2026-06-01T00:00:00Z');
/** 0 → 2400 over day 1 (100 bbl/day per hour), 2400 flat for two days, 2400 → 0 over 12 hours. Total 1200 + 4800 + 600. */
const RAMP_PINGS: PingSpec[] = [
  [R0, 0],
  [R0 + DAY, 2400],
  [R0 + 3 * DAY, 2400],
  [R0 + 3 * DAY + 12 * HOUR, 0],
];
const LATE_PING: PingSpec = [at('2026-07-01T00:00:00Z'), 77.7];

const NOT_FOUND = { detail: 'Not found.' };
const INVALID_PAGE = { detail: 'Invalid page.' };

function expectDetail(res: LightMyRequestResponse, status: number, detail: string | RegExp): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as Json;
  expect(Object.keys(body)).toEqual(['detail']);
  if (typeof detail === 'string') expect(body.detail).toBe(detail);
  else expect(body.detail).toMatch(detail);
  if (status === 401) expect(res.headers['www-authenticate']).toBe('Token');
}

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: FlowCommand face`, () => {
    let app: FastifyInstance;
    let store: TestStore;
    let drop: () => Promise<void>;
    let a: Tenant;
    let b: Tenant;
    let north: FlowSensorFixture;
    let south: FlowSensorFixture;
    let bulk: FlowSensorFixture;
    let constant: FlowSensorFixture;
    let ramp: FlowSensorFixture;
    let late: FlowSensorFixture;
    /** A flow_sensor controller without any channel yet. */
    let bare: Controller;

    const clock = manualClock(NOW);

    beforeAll(async () => {
      const created = await factory.create();
      store = created.store;
      drop = created.drop;
      ({ a, b } = await createFlowCustomers(
        store,
        [
          { name: 'North Header', pipeDiameter: 14.64, activatedAt: at('2025-12-01T08:30:45.750Z'), tag: 'North' },
          { name: 'South Header', latitude: 31.5, longitude: -97.25 },
          { name: 'Bulk Meter', pipeDiameter: 6, tag: 'bulk' },
          { name: 'Constant Meter', pipeDiameter: 10 },
          { name: 'Ramp Meter', pipeDiameter: 12.5, activatedAt: at('2026-05-31T00:00:00Z') },
        ],
        [{ name: 'Basin Meter', pipeDiameter: 8, tag: 'basin' }, { name: 'Basin Spare' }],
      ));
      [north, south, bulk, constant, ramp] = a.sensors as [FlowSensorFixture, FlowSensorFixture, FlowSensorFixture, FlowSensorFixture, FlowSensorFixture];
      // Created after B's sensors, so ids of the two customers interleave.
      late = await createFlowSensor(store, a.field, { name: 'Late Addition', pipeDiameter: 4, tag: 'late' });
      bare = await store.createController(PLATFORM_SCOPE, { facilityId: a.field.id, serialNumber: nextSerial(), model: FLOW_SENSOR_MODEL, name: 'Uncommissioned' });

      // Hundreds of requests from one user and one IP: the face's limits are not what this suite tests.
      app = await buildTestApp(store, clock, { RATE_LIMITS: 'flowcommand.default=100000/1m,flowcommand.anonymous=100000/1m,flowline.signin_account=100000/15m,flowline.signin_account_all=100000/15m' });
      // North's pings come from the device through ingest, newest first and in two batches.
      await ingestPings(app, north, [NORTH_PINGS[3]!, NORTH_PINGS[1]!]);
      await ingestPings(app, north, [NORTH_PINGS[0]!, NORTH_PINGS[2]!]);
      await storePings(store, bulk, BULK_PINGS);
      await storePings(store, constant, CONSTANT_PINGS);
      await storePings(store, ramp, RAMP_PINGS);
      await storePings(store, late, [LATE_PING]);
      await storePings(store, b.sensors[0]!, NORTH_PINGS.map(([t, v]) => [t, v * 10] as const));
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    const tokenOf = (t: Tenant) => ({ authorization: `Token ${t.tenant.user.token}` });
    const get = (url: string, headers: Record<string, string> = tokenOf(a)) => app.inject({ url: `${FC}${url}`, headers: { host: HOST, ...headers } });
    const getJson = async (url: string, headers?: Record<string, string>): Promise<Json> => {
      const res = await get(url, headers);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      return res.json() as Json;
    };
    const sensorPath = (s: FlowSensorFixture | Controller | number) => `/flow_sensors/${typeof s === 'number' ? s : 'controller' in s ? s.controller.id : s.id}`;
    const volumeUrl = (s: FlowSensorFixture, from: string, to: string) => `${sensorPath(s)}/flow_volume/${from}/${to}/`;
    const hoursUrl = (s: FlowSensorFixture, from: string, to: string, query = '') => `${sensorPath(s)}/flow_volume_hours/${from}/${to}/${query}`;

    async function volumeOf(s: FlowSensorFixture, from: string, to: string): Promise<number> {
      const body = await getJson(volumeUrl(s, from, to));
      return body.flow_volume as number;
    }
    /** Every row of every page of flow_volume_hours, following `next`. */
    async function allHours(s: FlowSensorFixture, from: string, to: string): Promise<Json[]> {
      const rows: Json[] = [];
      let url: string | null = `${ORIGIN}${FC}${hoursUrl(s, from, to)}`;
      while (url) {
        const body = await getJson(url.slice(ORIGIN.length + FC.length));
        rows.push(...(body.results as Json[]));
        url = body.next as string | null;
      }
      return rows;
    }

    describe('GET /api/v1/flow_sensors/', () => {
      const sensorFields = {
        latitude: HOUSTON.latitude,
        longitude: HOUSTON.longitude,
        pipe_diameter: null,
        last_ping_flowrate: null,
        last_ping_datetime: null,
        activated_at: null,
        tag: null,
      };

      it("lists the caller's flow sensors ordered by id, every field (coordinates fall back to the facility's, last ping is the newest)", async () => {
        const body = await getJson('/flow_sensors/');
        expect(body).toEqual({
          count: 7,
          next: null,
          previous: null,
          results: [
            {
              ...sensorFields,
              id: north.controller.id,
              name: 'North Header',
              pipe_diameter: 14.64,
              last_ping_flowrate: 400,
              last_ping_datetime: '2026-03-01T18:00:00Z',
              activated_at: '2025-12-01T08:30:45Z',
              tag: 'North',
            },
            { ...sensorFields, id: south.controller.id, name: 'South Header', latitude: 31.5, longitude: -97.25 },
            {
              ...sensorFields,
              id: bulk.controller.id,
              name: 'Bulk Meter',
              pipe_diameter: 6,
              last_ping_flowrate: 2499,
              last_ping_datetime: '2026-04-02T17:39:00Z',
              tag: 'bulk',
            },
            { ...sensorFields, id: constant.controller.id, name: 'Constant Meter', pipe_diameter: 10, last_ping_flowrate: 1000, last_ping_datetime: '2026-05-02T00:00:00Z' },
            {
              ...sensorFields,
              id: ramp.controller.id,
              name: 'Ramp Meter',
              pipe_diameter: 12.5,
              last_ping_flowrate: 0,
              last_ping_datetime: '2026-06-04T12:00:00Z',
              activated_at: '2026-05-31T00:00:00Z',
            },
            { ...sensorFields, id: late.controller.id, name: 'Late Addition', pipe_diameter: 4, last_ping_flowrate: 77.7, last_ping_datetime: '2026-07-01T00:00:00Z', tag: 'late' },
            { ...sensorFields, id: bare.id, name: 'Uncommissioned' },
          ],
        });
        const ids = (body.results as Json[]).map((r) => r.id as number);
        expect(ids).toEqual([...ids].sort((x, y) => x - y));
        // Key order as the document shows it.
        expect(Object.keys((body.results as Json[])[0]!)).toEqual([
          'id',
          'name',
          'latitude',
          'longitude',
          'pipe_diameter',
          'last_ping_flowrate',
          'last_ping_datetime',
          'activated_at',
          'tag',
        ]);
      });

      it("shows B only B's sensors, and neither customer's other controllers", async () => {
        const body = await getJson('/flow_sensors/', tokenOf(b));
        expect(body).toEqual({
          count: 2,
          next: null,
          previous: null,
          results: [
            {
              ...sensorFields,
              id: b.sensors[0]!.controller.id,
              name: 'Basin Meter',
              pipe_diameter: 8,
              last_ping_flowrate: 4000,
              last_ping_datetime: '2026-03-01T18:00:00Z',
              tag: 'basin',
            },
            { ...sensorFields, id: b.sensors[1]!.controller.id, name: 'Basin Spare' },
          ],
        });
        const aIds = new Set([...a.sensors.map((s) => s.controller.id), late.controller.id, bare.id, a.tenant.controller.id]);
        expect((body.results as Json[]).some((r) => aIds.has(r.id as number))).toBe(false);
      });

      it('answers the same with and without the trailing slash, and with the page parameters DRF accepts', async () => {
        const reference = (await get('/flow_sensors/')).body;
        for (const url of ['/flow_sensors', '/flow_sensors/?page=1', '/flow_sensors?page=', '/flow_sensors/?page=last', '/flow_sensors/?page=%201%20', '/flow_sensors/?page=01']) {
          const res = await get(url);
          expect(res.statusCode, url).toBe(200);
          expect(res.body, url).toBe(reference);
        }
        for (const page of ['0', '-1', 'abc', '1.5', '2', '99999999999999999999', 'first', '%20']) expectDetail(await get(`/flow_sensors/?page=${page}`), 404, 'Invalid page.');
      });

      it('pages a list of more than 1000 sensors by id', async () => {
        const crowded = await createFlowTenant(store, 'Crowded Co');
        const ids: number[] = [];
        for (let i = 0; i < 1001; i++) {
          const c = await store.createController(PLATFORM_SCOPE, { facilityId: crowded.field.id, serialNumber: nextSerial(), model: FLOW_SENSOR_MODEL, name: `Meter ${1001 - i}` });
          ids.push(c.id);
        }
        const headers = { authorization: `Token ${crowded.tenant.user.token}` };
        const list = `${ORIGIN}${FC}/flow_sensors/`;
        const first = await getJson('/flow_sensors/', headers);
        expect(first).toMatchObject({ count: 1001, next: `${list}?page=2`, previous: null });
        expect((first.results as Json[]).map((r) => r.id)).toEqual(ids.slice(0, 1000));
        const second = await getJson('/flow_sensors/?page=2', headers);
        expect(second).toEqual({
          count: 1001,
          next: null,
          previous: list,
          results: [{ id: ids[1000], name: 'Meter 1', latitude: HOUSTON.latitude, longitude: HOUSTON.longitude, pipe_diameter: null, last_ping_flowrate: null, last_ping_datetime: null, activated_at: null, tag: null }],
        });
        expect(await getJson('/flow_sensors/?page=last', headers)).toEqual(second);
        expectDetail(await get('/flow_sensors/?page=3', headers), 404, 'Invalid page.');
      });

      it('writes compact JSON with Content-Type application/json', async () => {
        const res = await get('/flow_sensors/');
        expect(res.headers['content-type']).toMatch(/^application\/json(; ?charset=utf-8)?$/);
        expect(JSON.stringify(res.json())).toBe(res.body);
      });
    });

    describe('GET /api/v1/flow_sensors/<id>/', () => {
      it("answers every sensor exactly as its element of the list's results, byte for byte", async () => {
        for (const t of [a, b]) {
          const list = await get('/flow_sensors/', tokenOf(t));
          const results = (list.json() as Json).results as Json[];
          expect(results.length).toBeGreaterThan(0);
          for (const item of results) {
            const res = await get(`/flow_sensors/${item.id as number}/`, tokenOf(t));
            expect(res.statusCode, res.body).toBe(200);
            expect(res.headers['content-type']).toMatch(/^application\/json(; ?charset=utf-8)?$/);
            // Same keys in the same order, compact: the list's element as DRF would write it alone.
            expect(res.body).toBe(JSON.stringify(item));
          }
        }
        // The fields themselves, for one sensor with every field set and one without a channel.
        expect(await getJson(`${sensorPath(north)}/`)).toEqual({
          id: north.controller.id,
          name: 'North Header',
          latitude: HOUSTON.latitude,
          longitude: HOUSTON.longitude,
          pipe_diameter: 14.64,
          last_ping_flowrate: 400,
          last_ping_datetime: '2026-03-01T18:00:00Z',
          activated_at: '2025-12-01T08:30:45Z',
          tag: 'North',
        });
        expect(await getJson(`${sensorPath(bare)}/`)).toMatchObject({ id: bare.id, name: 'Uncommissioned', last_ping_flowrate: null, last_ping_datetime: null });
      });

      it('answers the same without the trailing slash, and ignores a page parameter', async () => {
        const reference = (await get(`${sensorPath(south)}/`)).body;
        for (const url of [sensorPath(south), `${sensorPath(south)}/?page=2`, `${sensorPath(south)}/?page=abc`]) {
          const res = await get(url);
          expect(res.statusCode, url).toBe(200);
          expect(res.body, url).toBe(reference);
        }
      });

      it('follows new pings: the last ping is the newest stored', async () => {
        const own = await createFlowTenant(store, 'Detail Co');
        const meter = await createFlowSensor(store, own.field, { name: 'Detail Meter', tag: 'd' });
        const headers = { authorization: `Token ${own.tenant.user.token}` };
        expect(await getJson(`${sensorPath(meter)}/`, headers)).toMatchObject({ last_ping_flowrate: null, last_ping_datetime: null });
        await ingestPings(app, meter, [[at('2026-07-02T00:00:00Z'), 88.8]]);
        expect(await getJson(`${sensorPath(meter)}/`, headers)).toMatchObject({ last_ping_flowrate: 88.8, last_ping_datetime: '2026-07-02T00:00:00Z' });
        // A late ping older than the newest does not move it.
        await ingestPings(app, meter, [[at('2026-07-01T00:00:00Z'), 5]]);
        const detail = await getJson(`${sensorPath(meter)}/`, headers);
        expect(detail).toMatchObject({ last_ping_flowrate: 88.8, last_ping_datetime: '2026-07-02T00:00:00Z' });
        expect(((await getJson('/flow_sensors/', headers)).results as Json[])[0]).toEqual(detail);
      });

      it("spends the face's rate-limit budget like the list, and is throttled in DRF's words", async () => {
        const limited = await buildTestApp(store, manualClock(NOW), { RATE_LIMITS: 'flowcommand.default=4/1m' });
        try {
          const call = (url: string) => limited.inject({ url: `${FC}${url}`, headers: { host: HOST, ...tokenOf(a) } });
          const remaining: string[] = [];
          for (const url of ['/flow_sensors/', `${sensorPath(north)}/`, `${sensorPath(south)}`, '/flow_sensors/999999/']) {
            const res = await call(url);
            expect(res.statusCode, url).toBe(url.includes('999999') ? 404 : 200);
            expect(res.headers['x-rate-limit-limit']).toBe('4');
            remaining.push(res.headers['x-rate-limit-remaining'] as string);
          }
          expect(remaining).toEqual(['3', '2', '1', '0']);
          const throttled = await call(`${sensorPath(north)}/`);
          expectDetail(throttled, 429, /^Request was throttled\. Expected available in \d+ seconds?\.$/);
          expect(throttled.headers['retry-after']).toMatch(/^\d+$/);
          expectDetail(await call('/flow_sensors/'), 429, /^Request was throttled\./);
        } finally {
          await limited.close();
        }
      });
    });

    describe('GET /api/v1/flow_sensors/<id>/pings/', () => {
      const pingsOf = async (s: FlowSensorFixture) => store.listReadings(PLATFORM_SCOPE, { channelId: s.channel.id, order: 'desc', limit: 10_000 });

      it('lists pings newest first with every field', async () => {
        const readings = await pingsOf(north);
        expect(readings.map((r) => r.value)).toEqual([400, 300, 200, 100]);
        const expected = {
          count: 4,
          next: null,
          previous: null,
          results: readings.map((r) => ({ id: r.id, sensor_id: north.controller.id, sensor_name: 'North Header', sensor_tag: 'North', flowrate: r.value, datetime: fcTime(r.time) })),
        };
        const body = await getJson(`${sensorPath(north)}/pings/`);
        expect(body).toEqual(expected);
        expect(Object.keys((body.results as Json[])[0]!)).toEqual(['id', 'sensor_id', 'sensor_name', 'sensor_tag', 'flowrate', 'datetime']);
        expect((body.results as Json[]).map((r) => r.datetime)).toEqual(['2026-03-01T18:00:00Z', '2026-03-01T12:00:00Z', '2026-03-01T06:00:00Z', '2026-03-01T00:00:00Z']);
        expect(await getJson(`${sensorPath(north)}/pings`)).toEqual(expected);
        // A sensor without a tag has sensor_tag null.
        const constantBody = await getJson(`${sensorPath(constant)}/pings/?start=2026-05-02T00:00:00Z`);
        expect(constantBody.results).toEqual([
          { id: expect.any(Number), sensor_id: constant.controller.id, sensor_name: 'Constant Meter', sensor_tag: null, flowrate: 1000, datetime: '2026-05-02T00:00:00Z' },
        ]);
      });

      it('treats start and end as inclusive bounds, in any ISO 8601 form', async () => {
        const datetimes = async (query: string) => {
          const body = await getJson(`${sensorPath(north)}/pings/${query}`);
          expect(body.count, query).toBe((body.results as Json[]).length);
          return (body.results as Json[]).map((r) => r.datetime);
        };
        // A ping exactly at start and one exactly at end are both included.
        expect(await datetimes('?start=2026-03-01T06:00:00Z&end=2026-03-01T12:00:00Z')).toEqual(['2026-03-01T12:00:00Z', '2026-03-01T06:00:00Z']);
        expect(await datetimes('?start=2026-03-01T06:00:00Z&end=2026-03-01T06:00:00Z')).toEqual(['2026-03-01T06:00:00Z']);
        // A millisecond off excludes them.
        expect(await datetimes('?start=2026-03-01T06:00:00.001Z&end=2026-03-01T11:59:59.999Z')).toEqual([]);
        expect(await datetimes('?start=2026-03-01T06:00:00Z')).toEqual(['2026-03-01T18:00:00Z', '2026-03-01T12:00:00Z', '2026-03-01T06:00:00Z']);
        expect(await datetimes('?end=2026-03-01T06:00:00Z')).toEqual(['2026-03-01T06:00:00Z', '2026-03-01T00:00:00Z']);
        // Offsets, no offset (UTC), a space instead of T, a form-encoded +.
        expect(await datetimes('?start=2026-03-01T01:00:00-05:00&end=2026-03-01T13:00:00%2B01:00')).toEqual(['2026-03-01T12:00:00Z', '2026-03-01T06:00:00Z']);
        expect(await datetimes('?start=2026-03-01T06:00:00&end=2026-03-01T12:00')).toEqual(['2026-03-01T12:00:00Z', '2026-03-01T06:00:00Z']);
        expect(await datetimes('?start=2026-03-01+06:00:00Z&end=2026-03-01%2012:00:00Z')).toEqual(['2026-03-01T12:00:00Z', '2026-03-01T06:00:00Z']);
        // start after end: nothing, still a valid page 1.
        expect(await getJson(`${sensorPath(north)}/pings/?start=2026-03-02T00:00:00Z&end=2026-03-01T00:00:00Z`)).toEqual({ count: 0, next: null, previous: null, results: [] });
      });

      it('counts filtered pings exactly across hour and day boundaries', async () => {
        const count = async (query: string) => (await getJson(`${sensorPath(bulk)}/pings/${query}`)).count;
        // Pings at minute m = 0…2499 after 2026-04-01T00:00Z.
        expect(await count('')).toBe(2500);
        expect(await count('?start=2026-04-01T00:30:30Z&end=2026-04-02T05:15:00Z')).toBe(1755 - 31 + 1);
        expect(await count('?start=2026-04-01T01:00:00Z&end=2026-04-02T00:00:00Z')).toBe(1440 - 60 + 1);
        expect(await count('?end=2026-04-01T00:59:59Z')).toBe(60);
        expect(await count('?start=2026-04-02T17:39:00Z')).toBe(1);
        expect(await count('?start=2026-04-02T17:39:00.001Z')).toBe(0);
        expect(await count('?start=2026-03-01T00:00:00Z&end=2026-05-01T00:00:00Z')).toBe(2500);
      });

      it('is an empty page 1 for a sensor without pings (and for one without a flowrate channel)', async () => {
        for (const path of [sensorPath(south), sensorPath(bare)]) {
          expect(await getJson(`${path}/pings/`)).toEqual({ count: 0, next: null, previous: null, results: [] });
          expect(await getJson(`${path}/pings/?page=last`)).toEqual({ count: 0, next: null, previous: null, results: [] });
          expect(await getJson(`${path}/pings/?page=1`)).toEqual({ count: 0, next: null, previous: null, results: [] });
          expectDetail(await get(`${path}/pings/?page=2`), 404, 'Invalid page.');
        }
      });
    });

    describe('pagination (DRF PageNumberPagination)', () => {
      const pings = () => `${ORIGIN}${FC}${sensorPath(bulk)}/pings/`;
      const page = async (query: string) => getJson(`${sensorPath(bulk)}/pings/${query}`);
      const rates = (body: Json) => (body.results as Json[]).map((r) => r.flowrate);
      const descending = (from: number, n: number) => Array.from({ length: n }, (_, i) => from - i);

      it('serves 1000 pings a page, with absolute next/previous links built from the request URL', async () => {
        const first = await page('');
        expect(first.count).toBe(2500);
        expect(first.next).toBe(`${pings()}?page=2`);
        expect(first.previous).toBeNull();
        expect(rates(first)).toEqual(descending(2499, 1000));
        expect((first.results as Json[])[0]!.datetime).toBe('2026-04-02T17:39:00Z');

        const second = await page('?page=2');
        expect(second.count).toBe(2500);
        expect(second.next).toBe(`${pings()}?page=3`);
        // Page 1 is the URL without `page`, and without a dangling `?`.
        expect(second.previous).toBe(pings());
        expect(rates(second)).toEqual(descending(1499, 1000));

        const third = await page('?page=3');
        expect(third.next).toBeNull();
        expect(third.previous).toBe(`${pings()}?page=2`);
        expect(rates(third)).toEqual(descending(499, 500));
        expect((third.results as Json[]).at(-1)!.datetime).toBe('2026-04-01T00:00:00Z');

        // Following the links visits every ping once.
        const seen = [...(first.results as Json[]), ...(second.results as Json[]), ...(third.results as Json[])].map((r) => r.id);
        expect(new Set(seen).size).toBe(2500);
      });

      it('reads page as DRF does: missing or empty is 1, last is the last page', async () => {
        const first = await get(`${sensorPath(bulk)}/pings/`);
        expect((await get(`${sensorPath(bulk)}/pings/?page=`)).body).toBe(first.body);
        expect((await get(`${sensorPath(bulk)}/pings/?page=1`)).body).toBe(first.body);
        expect((await get(`${sensorPath(bulk)}/pings/?page=last`)).body).toBe((await get(`${sensorPath(bulk)}/pings/?page=3`)).body);
      });

      it('answers 404 {"detail": "Invalid page."} for 0, -1, abc, 1.5 and a page past the end', async () => {
        for (const p of ['0', '-1', 'abc', '1.5', '4', '1000', '99999999999999999999', '1e3', 'LAST', '%20', '-0']) {
          const res = await get(`${sensorPath(bulk)}/pings/?page=${p}`);
          expectDetail(res, 404, 'Invalid page.');
          expect(res.json()).toEqual(INVALID_PAGE);
        }
      });

      it('keeps the other query parameters, sorted by name and form-encoded', async () => {
        const query = '?zeta=x%20y&start=2026-04-01T00:00:00Z&page=2&alpha=a:b/c~d*e&end=2026-04-02T23:59:59Z&blank=';
        const body = await page(query);
        expect(body.count).toBe(2500);
        const others = 'alpha=a%3Ab%2Fc~d%2Ae&blank=&end=2026-04-02T23%3A59%3A59Z';
        expect(body.next).toBe(`${pings()}?${others}&page=3&start=2026-04-01T00%3A00%3A00Z&zeta=x+y`);
        expect(body.previous).toBe(`${pings()}?${others}&start=2026-04-01T00%3A00%3A00Z&zeta=x+y`);

        // Spaces arrive as + or %20 and leave as +; page=last becomes a number.
        const last = await page('?start=2026-04-01+00:00:00Z&page=last');
        expect(last.next).toBeNull();
        expect(last.previous).toBe(`${pings()}?page=2&start=2026-04-01+00%3A00%3A00Z`);
        const firstFiltered = await page('?start=2026-04-01%2000:00:00Z');
        expect(firstFiltered.next).toBe(`${pings()}?page=2&start=2026-04-01+00%3A00%3A00Z`);
      });

      it('builds the links from the path as requested (trailing slash or not)', async () => {
        const body = await page('?page=2');
        expect(body.previous).toBe(pings());
        const res = await get(`${sensorPath(bulk)}/pings?page=2`);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({ next: `${ORIGIN}${FC}${sensorPath(bulk)}/pings?page=3`, previous: `${ORIGIN}${FC}${sensorPath(bulk)}/pings` });
      });

      it('paginates filtered pings: exactly 1000 is one page, 1001 is two', async () => {
        const thousand = await page('?start=2026-04-01T00:00:00Z&end=2026-04-01T16:39:00Z');
        expect(thousand).toMatchObject({ count: 1000, next: null, previous: null });
        expect(rates(thousand)).toEqual(descending(999, 1000));
        const more = await page('?start=2026-04-01T00:00:00Z&end=2026-04-01T16:40:00Z');
        expect(more).toMatchObject({ count: 1001, next: `${pings()}?end=2026-04-01T16%3A40%3A00Z&page=2&start=2026-04-01T00%3A00%3A00Z`, previous: null });
        const tail = await page('?start=2026-04-01T00:00:00Z&end=2026-04-01T16:40:00Z&page=2');
        expect(tail).toMatchObject({ count: 1001, next: null, previous: `${pings()}?end=2026-04-01T16%3A40%3A00Z&start=2026-04-01T00%3A00%3A00Z` });
        expect(rates(tail)).toEqual([0]);
        expectDetail(await get(`${sensorPath(bulk)}/pings/?start=2026-04-01T00:00:00Z&end=2026-04-01T16:39:00Z&page=2`), 404, 'Invalid page.');
      });
    });

    describe('GET …/<id>/flow_volume/<START>/<END>/', () => {
      it('answers every field for a hand-computed case: constant 1000 bbl/day for 24 h is 1000 bbl', async () => {
        const body = await getJson(volumeUrl(constant, '2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z'));
        expect(body).toEqual({
          sensor_id: constant.controller.id,
          sensor_name: 'Constant Meter',
          sensor_tag: null,
          flow_volume: approx(1000),
          start: '2026-05-01T00:00:00Z',
          end: '2026-05-02T00:00:00Z',
        });
        expect(Object.keys(body)).toEqual(['sensor_id', 'sensor_name', 'sensor_tag', 'flow_volume', 'start', 'end']);
        expect(await getJson(volumeUrl(constant, '2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z').slice(0, -1))).toEqual(body);
      });

      it('counts nothing before the first ping or after the last one', async () => {
        expect(await volumeOf(constant, '2026-04-30T00:00:00Z', '2026-05-03T00:00:00Z')).toEqual(approx(1000));
        expect(await volumeOf(constant, '2026-04-29T00:00:00Z', '2026-04-30T00:00:00Z')).toBe(0);
        expect(await volumeOf(constant, '2026-04-30T23:00:00Z', '2026-05-01T00:00:00Z')).toBe(0);
        expect(await volumeOf(constant, '2026-05-02T00:00:00Z', '2026-05-03T00:00:00Z')).toBe(0);
        expect(await volumeOf(constant, '2026-04-30T23:30:00Z', '2026-05-01T00:30:00Z')).toEqual(approx(1000 / 48));
        expect(await volumeOf(south, '2026-01-01T00:00:00Z', '2026-12-01T00:00:00Z')).toBe(0);
      });

      it('cuts trapezoids at the bounds by linear interpolation', async () => {
        // Constant: 12 hours is half, 45 minutes mid-hour is 45/1440 of a day.
        expect(await volumeOf(constant, '2026-05-01T00:00:00Z', '2026-05-01T12:00:00Z')).toEqual(approx(500));
        expect(await volumeOf(constant, '2026-05-01T00:30:00Z', '2026-05-01T01:15:00Z')).toEqual(approx(1000 * (45 / 1440)));
        // Ramp: the rate is 100 bbl/day per hour on day 1. 06:00-12:00 → (600 + 1200) / 2 × 0.25 day.
        expect(await volumeOf(ramp, '2026-06-01T06:00:00Z', '2026-06-01T12:00:00Z')).toEqual(approx(225));
        // Mid-segment, mid-hour: 06:30 (650) to 12:15 (1225) over 5.75 h.
        expect(await volumeOf(ramp, '2026-06-01T06:30:00Z', '2026-06-01T12:15:00Z')).toEqual(approx(((650 + 1225) / 2) * (5.75 / 24)));
        // The falling segment: 03:00 (1800) to 09:00 (600) on the last day.
        expect(await volumeOf(ramp, '2026-06-04T03:00:00Z', '2026-06-04T09:00:00Z')).toEqual(approx(((1800 + 600) / 2) * 0.25));
        // Crossing the first ping: only 00:00-01:00 counts.
        expect(await volumeOf(ramp, '2026-05-31T23:00:00Z', '2026-06-01T01:00:00Z')).toEqual(approx(((0 + 100) / 2) / 24));
      });

      it('integrates ranges spanning days', async () => {
        // 12:00 day 1 → 06:00 day 4: 0.5 day rising 1200→2400, two flat days, 6 h falling 2400→1200.
        expect(await volumeOf(ramp, '2026-06-01T12:00:00Z', '2026-06-04T06:00:00Z')).toEqual(approx(1800 * 0.5 + 2400 * 2 + 1800 * 0.25));
        expect(await volumeOf(ramp, '2026-06-01T12:30:00Z', '2026-06-03T17:45:00Z')).toEqual(approx(((1250 + 2400) / 2) * (11.5 / 24) + 2400 * (41.75 / 24)));
        expect(await volumeOf(ramp, '2026-05-01T00:00:00Z', '2026-07-01T00:00:00Z')).toEqual(approx(1200 + 4800 + 600));
        expect(await volumeOf(ramp, '2026-06-01T00:00:00Z', '2026-06-04T12:00:00Z')).toEqual(approx(6600));
        // Minute pings over a day and a half, against a brute-force integrator.
        for (const [from, to] of [
          ['2026-04-01T00:07:13Z', '2026-04-02T19:41:05Z'],
          ['2026-03-31T22:00:00Z', '2026-04-02T00:00:00Z'],
          ['2026-04-01T13:00:00Z', '2026-04-01T13:00:30Z'],
        ] as const) {
          expect(await volumeOf(bulk, from, to), `${from}/${to}`).toEqual(approx(referenceVolume(BULK_PINGS, at(from), at(to))));
        }
      });

      it('reads START and END in any ISO 8601 form and answers them as UTC seconds', async () => {
        const body = await getJson(volumeUrl(ramp, '2026-06-01T08:00:00+02:00', '2026-06-01T12:00:00'));
        expect(body).toEqual({
          sensor_id: ramp.controller.id,
          sensor_name: 'Ramp Meter',
          sensor_tag: null,
          flow_volume: approx(225),
          start: '2026-06-01T06:00:00Z',
          end: '2026-06-01T12:00:00Z',
        });
        const fractional = await getJson(volumeUrl(ramp, '2026-06-01T06:00:00.500Z', '2026-06-01T12:00:00.250Z'));
        expect(fractional).toMatchObject({ start: '2026-06-01T06:00:00Z', end: '2026-06-01T12:00:00Z' });
        // START equal to END is an empty range.
        expect(await getJson(volumeUrl(ramp, '2026-06-01T06:00:00Z', '2026-06-01T06:00:00Z'))).toMatchObject({
          flow_volume: 0,
          start: '2026-06-01T06:00:00Z',
          end: '2026-06-01T06:00:00Z',
        });
      });

      it('is 0 for a flow sensor without a flowrate channel', async () => {
        expect(await getJson(`${sensorPath(bare)}/flow_volume/2026-01-01T00:00:00Z/2026-12-01T00:00:00Z/`)).toEqual({
          sensor_id: bare.id,
          sensor_name: 'Uncommissioned',
          sensor_tag: null,
          flow_volume: 0,
          start: '2026-01-01T00:00:00Z',
          end: '2026-12-01T00:00:00Z',
        });
      });
    });

    describe('GET …/<id>/flow_volume_hours/<START>/<END>/', () => {
      const row = (s: FlowSensorFixture, start: string, end: string, volume: number) => ({
        sensor_id: s.controller.id,
        sensor_name: s === ramp ? 'Ramp Meter' : s === constant ? 'Constant Meter' : s === bulk ? 'Bulk Meter' : 'North Header',
        sensor_tag: s === bulk ? 'bulk' : s === north ? 'North' : null,
        flow_volume: volume === 0 ? 0 : approx(volume),
        start,
        end,
      });

      it('answers one row per UTC hour, newest first, the first and last clipped to a mid-hour START/END', async () => {
        const body = await getJson(hoursUrl(ramp, '2026-06-01T06:30:00Z', '2026-06-01T09:15:00Z'));
        expect(body).toEqual({
          count: 4,
          next: null,
          previous: null,
          results: [
            row(ramp, '2026-06-01T09:00:00Z', '2026-06-01T09:15:00Z', ((900 + 925) / 2) * (0.25 / 24)),
            row(ramp, '2026-06-01T08:00:00Z', '2026-06-01T09:00:00Z', 850 / 24),
            row(ramp, '2026-06-01T07:00:00Z', '2026-06-01T08:00:00Z', 750 / 24),
            row(ramp, '2026-06-01T06:30:00Z', '2026-06-01T07:00:00Z', ((650 + 700) / 2) * (0.5 / 24)),
          ],
        });
        expect(Object.keys((body.results as Json[])[0]!)).toEqual(['sensor_id', 'sensor_name', 'sensor_tag', 'flow_volume', 'start', 'end']);
        const sum = (body.results as Json[]).reduce((s, r) => s + (r.flow_volume as number), 0);
        expect(sum).toEqual(approx(await volumeOf(ramp, '2026-06-01T06:30:00Z', '2026-06-01T09:15:00Z')));
        expect(sum).toEqual(approx(((650 + 925) / 2) * (2.75 / 24)));
        // Without the trailing slash: the same.
        expect(await getJson(hoursUrl(ramp, '2026-06-01T06:30:00Z', '2026-06-01T09:15:00Z').slice(0, -1))).toEqual(body);
      });

      it('has rows of 0 for hours without flow before the first ping and after the last', async () => {
        expect(await getJson(hoursUrl(ramp, '2026-05-31T22:00:00Z', '2026-06-01T02:00:00Z'))).toEqual({
          count: 4,
          next: null,
          previous: null,
          results: [
            row(ramp, '2026-06-01T01:00:00Z', '2026-06-01T02:00:00Z', 150 / 24),
            row(ramp, '2026-06-01T00:00:00Z', '2026-06-01T01:00:00Z', 50 / 24),
            row(ramp, '2026-05-31T23:00:00Z', '2026-06-01T00:00:00Z', 0),
            row(ramp, '2026-05-31T22:00:00Z', '2026-05-31T23:00:00Z', 0),
          ],
        });
        expect(await getJson(hoursUrl(ramp, '2026-06-04T11:30:00Z', '2026-06-04T14:00:00Z'))).toEqual({
          count: 3,
          next: null,
          previous: null,
          results: [
            row(ramp, '2026-06-04T13:00:00Z', '2026-06-04T14:00:00Z', 0),
            row(ramp, '2026-06-04T12:00:00Z', '2026-06-04T13:00:00Z', 0),
            row(ramp, '2026-06-04T11:30:00Z', '2026-06-04T12:00:00Z', ((100 + 0) / 2) * (0.5 / 24)),
          ],
        });
        // A range inside one hour is one clipped row.
        expect(await getJson(hoursUrl(constant, '2026-05-01T10:10:00Z', '2026-05-01T10:40:00Z'))).toEqual({
          count: 1,
          next: null,
          previous: null,
          results: [row(constant, '2026-05-01T10:10:00Z', '2026-05-01T10:40:00Z', 1000 / 48)],
        });
      });

      it('is an empty page 1 when START equals END', async () => {
        expect(await getJson(hoursUrl(ramp, '2026-06-01T06:30:00Z', '2026-06-01T06:30:00Z'))).toEqual({ count: 0, next: null, previous: null, results: [] });
        expectDetail(await get(hoursUrl(ramp, '2026-06-01T06:30:00Z', '2026-06-01T06:30:00Z', '?page=2')), 404, 'Invalid page.');
      });

      it('paginates more than 1000 hours, and all rows add up to flow_volume', async () => {
        const from = '2026-05-01T00:30:00Z';
        const to = '2026-08-30T00:00:00Z';
        const hours = (at(to) - at('2026-05-01T00:00:00Z')) / HOUR;
        expect(hours).toBe(2904);
        const base = `${ORIGIN}${FC}${hoursUrl(ramp, from, to)}`;
        const first = await getJson(hoursUrl(ramp, from, to));
        expect(first).toMatchObject({ count: 2904, next: `${base}?page=2`, previous: null });
        expect((first.results as Json[])[0]).toEqual(row(ramp, '2026-08-29T23:00:00Z', '2026-08-30T00:00:00Z', 0));
        expect(first.results as Json[]).toHaveLength(1000);
        const second = await getJson(hoursUrl(ramp, from, to, '?page=2'));
        expect(second).toMatchObject({ count: 2904, next: `${base}?page=3`, previous: base });
        const third = await getJson(hoursUrl(ramp, from, to, '?page=3'));
        expect(third).toMatchObject({ count: 2904, next: null, previous: `${base}?page=2` });
        expect(third.results as Json[]).toHaveLength(904);
        expect((third.results as Json[]).at(-1)).toEqual(row(ramp, '2026-05-01T00:30:00Z', '2026-05-01T01:00:00Z', 0));
        expect(await getJson(hoursUrl(ramp, from, to, '?page=last'))).toEqual(third);
        expectDetail(await get(hoursUrl(ramp, from, to, '?page=4')), 404, 'Invalid page.');

        const rows = [...(first.results as Json[]), ...(second.results as Json[]), ...(third.results as Json[])];
        // Contiguous, newest first, each a clock hour (the oldest clipped).
        for (let i = 1; i < rows.length; i++) expect(rows[i]!.end, `row ${i}`).toBe(rows[i - 1]!.start);
        // The flat days are 100 bbl an hour.
        expect(rows.find((r) => r.start === '2026-06-02T05:00:00Z')).toEqual(row(ramp, '2026-06-02T05:00:00Z', '2026-06-02T06:00:00Z', 100));
        const sum = rows.reduce((s, r) => s + (r.flow_volume as number), 0);
        expect(sum).toEqual(approx(6600));
        expect(sum).toEqual(approx(await volumeOf(ramp, from, to)));
      });

      it('adds up to flow_volume for mid-hour ranges spanning days', async () => {
        for (const [s, from, to] of [
          [bulk, '2026-04-01T00:07:13Z', '2026-04-02T19:41:05Z'],
          [bulk, '2026-03-31T23:59:59Z', '2026-04-02T17:39:00Z'],
          [ramp, '2026-06-01T12:30:00Z', '2026-06-03T17:45:00Z'],
          [constant, '2026-04-30T12:34:56Z', '2026-05-02T00:00:01Z'],
          [north, '2026-03-01T00:00:00Z', '2026-03-01T18:00:00Z'],
        ] as const) {
          const rows = await allHours(s, from, to);
          const total = await volumeOf(s, from, to);
          const sum = rows.reduce((acc, r) => acc + (r.flow_volume as number), 0);
          expect(sum, `${from}/${to}`).toEqual(approx(total));
          expect(rows[0]!.end).toBe(fcTime(at(to)));
          expect(rows.at(-1)!.start).toBe(fcTime(at(from)));
        }
        // North: 100 → 400 in three 6-hour steps = (150 + 250 + 350) × 0.25 day.
        expect(await volumeOf(north, '2026-03-01T00:00:00Z', '2026-03-01T18:00:00Z')).toEqual(approx((150 + 250 + 350) * 0.25));
      });
    });

    describe('ingest keeps the answers consistent', () => {
      it('a re-sent batch (all duplicates) changes no answer', async () => {
        const urls = [
          '/flow_sensors/',
          `${sensorPath(north)}/`,
          `${sensorPath(north)}/pings/`,
          volumeUrl(north, '2026-02-28T00:00:00Z', '2026-03-02T00:00:00Z'),
          hoursUrl(north, '2026-03-01T03:30:00Z', '2026-03-01T20:00:00Z'),
        ];
        const before = await Promise.all(urls.map(async (url) => (await get(url)).body));
        const res = await app.inject({
          method: 'POST',
          url: '/ingest/v1/readings',
          headers: { authorization: `Bearer ${north.ingestKey}` },
          payload: { readings: NORTH_PINGS.map(([t, v]) => ({ channel: 'S1', time: fcTime(t), value: v })) },
        });
        expect(res.json()).toMatchObject({ received: 4, stored: 0, duplicates: 4 });
        expect(await Promise.all(urls.map(async (url) => (await get(url)).body))).toEqual(before);
        // And the volume is the hand-computed one: three 6-hour trapezoids, (150 + 250 + 350) × 0.25 day.
        expect(JSON.parse(before[3]!)).toMatchObject({ flow_volume: approx((150 + 250 + 350) * 0.25) });
      });
    });

    describe('authentication', () => {
      const routes = () => [
        '/flow_sensors/',
        `${sensorPath(north)}/`,
        `${sensorPath(north)}/pings/`,
        volumeUrl(north, '2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z'),
        hoursUrl(north, '2026-03-01T00:00:00Z', '2026-03-01T03:00:00Z'),
      ];

      it('accepts Token, Bearer, and Basic with e-mail and token or password, on every route', async () => {
        const user = a.tenant.user;
        const admin = a.tenant.admin;
        for (const url of routes()) {
          const reference = (await get(url)).body;
          for (const authorization of [
            `Token ${user.token}`,
            `token ${user.token}`,
            `Bearer ${user.token}`,
            basic(user.email, user.token),
            basic(user.email, user.password),
            `Token ${admin.token}`,
            basic(admin.email, admin.password),
          ]) {
            const res = await get(url, { authorization });
            expect(res.statusCode, `${url} ${authorization}`).toBe(200);
            expect(res.body).toBe(reference);
          }
        }
      });

      it('answers DRF 401s with WWW-Authenticate: Token on every route', async () => {
        const user = a.tenant.user;
        const cases: [string | undefined, string][] = [
          [undefined, 'Authentication credentials were not provided.'],
          ['', 'Authentication credentials were not provided.'],
          ['Foo abc', 'Authentication credentials were not provided.'],
          ['Digest username="x"', 'Authentication credentials were not provided.'],
          ['Token nope', 'Invalid token.'],
          ['Bearer nope', 'Invalid token.'],
          [`Token ${user.token}x`, 'Invalid token.'],
          [basic(user.email, 'wrong-password'), 'Invalid username/password.'],
          [basic('nobody@nowhere.example', user.password), 'Invalid username/password.'],
          [basic(user.email, b.tenant.user.token), 'Invalid username/password.'],
          [basic(user.email, ''), 'Invalid username/password.'],
          ['Token', 'Invalid token header. No credentials provided.'],
          ['Token a b', 'Invalid token header. Token string should not contain spaces.'],
          ['Bearer', 'Invalid token header. No credentials provided.'],
          ['Basic', 'Invalid basic header. No credentials provided.'],
          ['Basic a b', 'Invalid basic header. Credentials string should not contain spaces.'],
          ['Basic !!!', 'Invalid basic header. Credentials not correctly base64 encoded.'],
          [`Basic ${Buffer.from('no-colon-here').toString('base64')}`, 'Invalid basic header. Credentials not correctly base64 encoded.'],
        ];
        for (const url of routes()) {
          for (const [authorization, detail] of cases) {
            const res = await get(url, authorization === undefined ? {} : { authorization });
            expectDetail(res, 401, detail);
            expect(res.json()).toEqual({ detail });
          }
        }
      });

      it("checks credentials before anything else: a foreign or missing sensor, or a bad page, is still a 401", async () => {
        for (const url of [
          `${sensorPath(b.sensors[0]!)}/`,
          `${sensorPath(b.sensors[0]!)}/pings/`,
          '/flow_sensors/999999/',
          '/flow_sensors/999999/pings/',
          '/flow_sensors/?page=abc',
          '/flow_sensors/abc/',
          '/flow_sensors/abc/pings/',
        ]) {
          expectDetail(await get(url, {}), 401, 'Authentication credentials were not provided.');
        }
      });
    });

    describe('tenant isolation', () => {
      /** Every sensor route, with the query and path variants a client might send. */
      const variants = (id: number) => [
        `/flow_sensors/${id}/`,
        `/flow_sensors/${id}`,
        `/flow_sensors/${id}/?page=2`,
        `/flow_sensors/${id}/pings/`,
        `/flow_sensors/${id}/pings`,
        `/flow_sensors/${id}/pings/?page=2`,
        `/flow_sensors/${id}/pings/?page=abc`,
        `/flow_sensors/${id}/pings/?start=2026-03-01T00:00:00Z&end=2026-03-02T00:00:00Z`,
        `/flow_sensors/${id}/flow_volume/2026-03-01T00:00:00Z/2026-03-02T00:00:00Z/`,
        `/flow_sensors/${id}/flow_volume/2026-03-01T00:00:00Z/2026-03-02T00:00:00Z`,
        `/flow_sensors/${id}/flow_volume/2026-03-02T00:00:00Z/2026-03-01T00:00:00Z/`,
        `/flow_sensors/${id}/flow_volume_hours/2026-03-01T00:00:00Z/2026-03-02T00:00:00Z/`,
        `/flow_sensors/${id}/flow_volume_hours/2026-03-01T00:00:00Z/2026-03-02T00:00:00Z`,
        `/flow_sensors/${id}/flow_volume_hours/2026-03-01T00:00:00Z/2026-03-02T00:00:00Z/?page=2`,
      ];

      it("answers B's sensors to A exactly as a sensor that does not exist, on every route", async () => {
        const foreign = [...b.sensors.map((s) => s.controller.id)];
        // B's own user sees them, so the ids are real.
        for (const id of foreign) expect((await get(`/flow_sensors/${id}/pings/`, tokenOf(b))).statusCode).toBe(200);
        for (const [i, url] of variants(999_999).entries()) {
          const missing = await get(url);
          expectDetail(missing, 404, 'Not found.');
          for (const id of foreign) {
            for (const headers of [tokenOf(a), { authorization: basic(a.tenant.admin.email, a.tenant.admin.password) }]) {
              const res = await get(variants(id)[i]!, headers);
              expectDetail(res, 404, 'Not found.');
              expect(res.body).toBe(missing.body);
              expect(res.json()).toEqual(NOT_FOUND);
            }
          }
        }
      });

      it("answers A's sensors to B as not found, and B sees its own data only", async () => {
        for (const s of [north, bulk, late]) {
          for (const url of variants(s.controller.id)) expectDetail(await get(url, tokenOf(b)), 404, 'Not found.');
        }
        const own = await getJson(`${sensorPath(b.sensors[0]!)}/pings/`, tokenOf(b));
        expect((own.results as Json[]).map((r) => r.flowrate)).toEqual([4000, 3000, 2000, 1000]);
        expect((own.results as Json[]).every((r) => r.sensor_id === b.sensors[0]!.controller.id && r.sensor_name === 'Basin Meter')).toBe(true);
      });

      it('answers 404 for a controller that is not a flow sensor, own or foreign', async () => {
        for (const id of [a.tenant.controller.id, b.tenant.controller.id]) {
          for (const url of variants(id)) {
            const res = await get(url);
            expectDetail(res, 404, 'Not found.');
          }
        }
      });
    });

    describe('bad input is a 4xx with a detail, never a 500', () => {
      const sensorRoutes = (id: string) => [
        `/flow_sensors/${id}/`,
        `/flow_sensors/${id}`,
        `/flow_sensors/${id}/pings/`,
        `/flow_sensors/${id}/pings`,
        `/flow_sensors/${id}/flow_volume/2026-03-01T00:00:00Z/2026-03-02T00:00:00Z/`,
        `/flow_sensors/${id}/flow_volume_hours/2026-03-01T00:00:00Z/2026-03-02T00:00:00Z/`,
      ];

      it('answers 404 {"detail": "Not found."} for ids that are not a sensor id', async () => {
        for (const id of ['abc', '1.5', '-1', '0', '2147483648', '99999999999999999999', '9007199254740993', '9223372036854775808', '1e3', '0x10', '%2B1', '%20', '%EF%BC%91', `${north.controller.id}abc`]) {
          for (const url of sensorRoutes(id)) {
            const res = await get(url);
            expectDetail(res, 404, 'Not found.');
          }
        }
        // Paths the document does not have.
        for (const url of [`${sensorPath(north)}/pongs/`, `${sensorPath(north)}/flow_volume/2026-03-01T00:00:00Z/`, '/flow_sensor/', '/']) {
          expectDetail(await get(url), 404, 'Not found.');
        }
      });

      it('answers 400 with a detail for unparseable, impossible or reversed START/END', async () => {
        const v = (from: string, to: string) => [volumeUrl(north, from, to), hoursUrl(north, from, to)];
        for (const url of [...v('yesterday', '2026-03-02T00:00:00Z'), ...v('2026-03-01T00:00:00Z', 'now'), ...v('2026-03-01', '2026-03-02'), ...v('1709251200', '1709337600')]) {
          expectDetail(await get(url), 400, /start|end/i);
        }
        const exact: [string, string, string][] = [
          ['2026-02-30T00:00:00Z', '2026-03-02T00:00:00Z', 'START "2026-02-30T00:00:00Z" is not a valid ISO 8601 date-time.'],
          ['2026-03-01T00:00:00Z', '2026-13-01T00:00:00Z', 'END "2026-13-01T00:00:00Z" is not a valid ISO 8601 date-time.'],
          ['2026-03-01T24:00:00Z', '2026-03-02T00:00:00Z', 'START "2026-03-01T24:00:00Z" is not a valid ISO 8601 date-time.'],
          ['2026-03-01T00:00:00Z', '2026-03-02T00:00:00+25:00', 'END "2026-03-02T00:00:00+25:00" is not a valid ISO 8601 date-time.'],
          ['2026-03-02T00:00:00Z', '2026-03-01T00:00:00Z', 'END is before START.'],
          ['2026-03-01T00:00:00.001Z', '2026-03-01T00:00:00Z', 'END is before START.'],
        ];
        for (const [from, to, detail] of exact) {
          for (const url of v(from, to)) expectDetail(await get(url), 400, detail);
        }
      });

      it('answers 400 with a detail for a bad start or end on pings', async () => {
        for (const query of ['start=yesterday', 'end=now', 'start=', 'start=%00', `start=${'1'.repeat(60)}`, 'end=2026-03-01T00:00:00Zjunk']) {
          expectDetail(await get(`${sensorPath(north)}/pings/?${query}`), 400, /start|end/);
        }
        expectDetail(await get(`${sensorPath(north)}/pings/?start=2026-02-30T00:00:00Z`), 400, 'start "2026-02-30T00:00:00Z" is not a valid ISO 8601 date-time.');
        expectDetail(await get(`${sensorPath(north)}/pings/?end=2026-03-01T25:00:00Z`), 400, 'end "2026-03-01T25:00:00Z" is not a valid ISO 8601 date-time.');
      });

      it('serves extreme but valid ranges', async () => {
        const wide = await getJson(volumeUrl(ramp, '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z'));
        expect(wide).toMatchObject({ flow_volume: approx(6600), start: '0001-01-01T00:00:00Z', end: '9999-12-31T23:59:59Z' });
        const last = await getJson(hoursUrl(ramp, '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '?page=last'));
        expect(last.next).toBeNull();
        expect((last.results as Json[]).at(-1)).toMatchObject({ start: '0001-01-01T00:00:00Z', flow_volume: 0 });
      });

      it('answers malformed URLs under /api/v1 in the FlowCommand envelope', async () => {
        for (const url of ['/flow_sensors/%/pings/', `${sensorPath(north)}/flow_volume/%E0%A4%A/2026-03-02T00:00:00Z/`, `${sensorPath(north)}/pings/?start=%`]) {
          const res = await get(url);
          expect(res.statusCode, `${url}: ${res.body}`).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, url).toBeLessThan(500);
          expect(Object.keys(res.json() as Json), `${url}: ${res.body}`).toEqual(['detail']);
        }
        const long = await get(`${sensorPath(north)}/flow_volume/${'2'.repeat(300)}/2026-03-02T00:00:00Z/`);
        expect(long.statusCode).toBeGreaterThanOrEqual(400);
        expect(long.statusCode).toBeLessThan(500);
        expect(Object.keys(long.json() as Json), long.body).toEqual(['detail']);
      });
    });
  });
}
