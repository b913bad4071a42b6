import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import { expectNativeError } from '../support.js';
import { byToken, createOperator, linkToken, NO_SUCH_ID, ok, ONBOARDING_ROUTE_CHECKS, send, snapshotOf, type Account, type Method } from './tenant-checks.js';

/**
 * Bad input on every onboarding and account route with a body or parameters: each is answered
 * with a clear 4xx in the native envelope (never a 500), and the store, as an operator lists
 * it, is exactly as it was. After the refusals, one good request on the route passes.
 */

const RATE_LIMITS = { RATE_LIMITS: 'flowline.default=100000/1m,flowline.anonymous=100000/1m,flowline.public=100000/1m' };
const THIRTY_DAYS = 30 * 24 * 3600;
const BAD_IDS = ['0', '-1', 'abc', '1.5', '9223372036854775808', '9007199254740992', '%20'];

interface Case {
  title: string;
  method: Method;
  path: string;
  /** Who sends it: a customer's admin unless said otherwise. */
  as?: 'admin' | 'operator' | 'nobody';
  /** An object is sent as JSON; a string as it is, with Content-Type: application/json. */
  payload?: object | string;
  status: number;
  code: string;
  message?: string | RegExp;
}

interface RouteCases {
  bad: Case[];
  /** A good request on the same route, sent after the bad ones: it passes (and, with `changes`, shows in the store). */
  good: Omit<Case, 'code' | 'title'> & { changes?: boolean; check?: (body: Record<string, unknown>) => void };
}

const invalid = (title: string, method: Method, path: string, payload: object | string | undefined, message?: string | RegExp, as?: Case['as']): Case => ({
  title,
  method,
  path,
  ...(payload === undefined ? {} : { payload }),
  ...(as ? { as } : {}),
  status: 400,
  code: 'invalid_request',
  ...(message === undefined ? {} : { message }),
});

/** Malformed JSON, a body that is not an object, and a property the route does not know. */
function malformed(method: Method, path: string, valid: object, as?: Case['as']): Case[] {
  return [
    invalid('malformed JSON', method, path, '{"name": "x"', undefined, as),
    invalid('a JSON array', method, path, '[]', /body must be object/, as),
    invalid('a JSON string', method, path, '"text"', /body must be object/, as),
    invalid('JSON null', method, path, 'null', undefined, as),
    invalid('an unknown property', method, path, { ...valid, surprise: 1 }, /must NOT have additional properties: "surprise"/, as),
  ];
}

/** The route's path with each bad id in place of `:param`. */
function badIds(method: Method, template: string, payload?: object, as?: Case['as'], param = ':id'): Case[] {
  return BAD_IDS.map((id) => invalid(`${param} = ${JSON.stringify(id)}`, method, template.replace(param, id), payload, /params\/\w+ must be/, as));
}

const text = (length: number) => 'x'.repeat(length);

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: onboarding bad input`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let app: FastifyInstance;
    let acme: TenantFixture;
    let operator: Account;
    /** A second controller of Acme, with its own process. */
    let other: { controller: { id: number }; processes: { id: number }[]; ingest_key: { ingest_key: { id: number } } };
    const clock = manualClock(Date.parse('2026-11-24T08:00:00Z'));

    const sendCase = (c: Omit<Case, 'title' | 'code'>) => {
      const who = c.as === 'operator' ? operator : c.as === 'nobody' ? null : acme.admin;
      return send(app, c.method, c.path, who ? byToken(who) : {}, c.payload);
    };
    const freshLinkToken = async () => linkToken(ok(await send(app, 'POST', `/users/${acme.user.id}/password-link`, byToken(acme.admin)), 201).set_password_link.url);

    const ROUTES: Record<string, () => Promise<RouteCases>> = {
      'GET /api/flowline/v1/customers': async () => ({ bad: [], good: { method: 'GET', path: '/customers', status: 200 } }),
      'POST /api/flowline/v1/customers': async () => ({
        bad: [
          ...malformed('POST', '/customers', { name: 'Fine' }, 'operator'),
          invalid('no name', 'POST', '/customers', {}, /must have required property 'name'/, 'operator'),
          invalid('a number for a name', 'POST', '/customers', { name: 5 }, /name must be string/, 'operator'),
          invalid('a null name', 'POST', '/customers', { name: null }, /name must be string/, 'operator'),
          invalid('an empty name', 'POST', '/customers', { name: '' }, /name/, 'operator'),
          invalid('a blank name', 'POST', '/customers', { name: ' \t ' }, /name/, 'operator'),
          invalid('a name of two lines', 'POST', '/customers', { name: 'Two\nLines' }, /name/, 'operator'),
          invalid('a NUL byte', 'POST', '/customers', { name: 'Nul\u0000Co' }, /name/, 'operator'),
          invalid('a name of 201 characters', 'POST', '/customers', { name: text(201) }, /name/, 'operator'),
          { title: 'a body over the limit', method: 'POST', path: '/customers', as: 'operator', payload: { name: text(1_100_000) }, status: 413, code: 'payload_too_large' },
        ],
        good: { method: 'POST', path: '/customers', as: 'operator', payload: { name: text(200) }, status: 201, changes: true },
      }),
      'GET /api/flowline/v1/customers/:id': async () => ({ bad: badIds('GET', '/customers/:id'), good: { method: 'GET', path: `/customers/${acme.customer.id}`, status: 200 } }),
      'PATCH /api/flowline/v1/customers/:id': async () => ({
        bad: [
          ...badIds('PATCH', '/customers/:id', { name: 'Fine' }, 'operator'),
          ...malformed('PATCH', `/customers/${acme.customer.id}`, { name: 'Fine' }, 'operator'),
          invalid('an empty change', 'PATCH', `/customers/${acme.customer.id}`, {}, /fewer than 1/, 'operator'),
          invalid('a string for disabled', 'PATCH', `/customers/${acme.customer.id}`, { disabled: 'yes' }, /disabled must be boolean/, 'operator'),
          invalid('a number for disabled', 'PATCH', `/customers/${acme.customer.id}`, { disabled: 1 }, /disabled must be boolean/, 'operator'),
          invalid('a blank name', 'PATCH', `/customers/${acme.customer.id}`, { name: '   ' }, /name/, 'operator'),
          invalid('a NUL byte', 'PATCH', `/customers/${acme.customer.id}`, { name: '\u0000' }, /name/, 'operator'),
        ],
        good: { method: 'PATCH', path: `/customers/${acme.customer.id}`, as: 'operator', payload: { name: '  Acme Water  ' }, status: 200, changes: true, check: (b) => expect(b.name).toBe('Acme Water') },
      }),

      'GET /api/flowline/v1/facilities': async () => ({
        bad: ['abc', '0', '-1', '1.5', '9223372036854775808'].map((id) => invalid(`customer_id = ${id}`, 'GET', `/facilities?customer_id=${id}`, undefined, /customer_id/)),
        good: { method: 'GET', path: `/facilities?customer_id=${acme.customer.id}`, status: 200 },
      }),
      'POST /api/flowline/v1/facilities': async () => ({
        bad: [
          ...malformed('POST', '/facilities', { name: 'Fine' }),
          invalid('no name', 'POST', '/facilities', { time_zone: 'UTC' }, /must have required property 'name'/),
          invalid('a blank name', 'POST', '/facilities', { name: '  ' }, /name/),
          invalid('latitude 91', 'POST', '/facilities', { name: 'Site', latitude: 91 }, /latitude must be <= 90/),
          invalid('latitude -90.5', 'POST', '/facilities', { name: 'Site', latitude: -90.5 }, /latitude must be >= -90/),
          invalid('longitude 180.01', 'POST', '/facilities', { name: 'Site', longitude: 180.01 }, /longitude must be <= 180/),
          invalid('a string latitude', 'POST', '/facilities', { name: 'Site', latitude: '45' }, /latitude must be number/),
          invalid('a latitude that overflows', 'POST', '/facilities', '{"name":"Site","latitude":1e400}', /latitude/),
          invalid('an invalid time zone', 'POST', '/facilities', { name: 'Site', time_zone: 'Mars/Olympus_Mons' }, '"Mars/Olympus_Mons" is not an IANA time zone such as America/Chicago.'),
          invalid('an empty time zone', 'POST', '/facilities', { name: 'Site', time_zone: '' }, /time_zone/),
          invalid('a time zone of 65 characters', 'POST', '/facilities', { name: 'Site', time_zone: text(65) }, /time_zone/),
          invalid('an address of 501 characters', 'POST', '/facilities', { name: 'Site', address: text(501) }, /address/),
          invalid('a NUL byte in the address', 'POST', '/facilities', { name: 'Site', address: '1 Main St\u0000' }, /address/),
          invalid('customer_id 0', 'POST', '/facilities', { name: 'Site', customer_id: 0 }, /customer_id/),
          invalid('customer_id 1.5', 'POST', '/facilities', { name: 'Site', customer_id: 1.5 }, /customer_id/),
          invalid('customer_id as text', 'POST', '/facilities', { name: 'Site', customer_id: String(acme.customer.id) }, /customer_id/),
          invalid('customer_id 2^63', 'POST', '/facilities', '{"name":"Site","customer_id":9223372036854775808}', /customer_id/),
          invalid('an operator naming no customer', 'POST', '/facilities', { name: 'Site' }, 'customer_id is required: platform operators name the customer.', 'operator'),
          { title: 'a customer that does not exist', method: 'POST', path: '/facilities', as: 'operator', payload: { name: 'Site', customer_id: NO_SUCH_ID }, status: 404, code: 'not_found', message: 'Customer not found.' },
        ],
        good: { method: 'POST', path: '/facilities', payload: { name: 'Edge Site', latitude: 90, longitude: -180, time_zone: 'Pacific/Chatham', address: text(500) }, status: 201, changes: true },
      }),
      'GET /api/flowline/v1/facilities/:id': async () => ({ bad: badIds('GET', '/facilities/:id'), good: { method: 'GET', path: `/facilities/${acme.facility.id}`, status: 200 } }),
      'PATCH /api/flowline/v1/facilities/:id': async () => {
        const path = `/facilities/${acme.facility.id}`;
        return {
          bad: [
            ...badIds('PATCH', '/facilities/:id', { name: 'Fine' }),
            ...malformed('PATCH', path, { name: 'Fine' }),
            invalid('an empty change', 'PATCH', path, {}, /fewer than 1/),
            invalid('moving it to another customer', 'PATCH', path, { customer_id: acme.customer.id }, /additional properties: "customer_id"/),
            invalid('a null name', 'PATCH', path, { name: null }, /name/),
            invalid('latitude 91', 'PATCH', path, { latitude: 91 }, /latitude/),
            invalid('an invalid time zone', 'PATCH', path, { time_zone: 'Not/AZone' }, /IANA time zone/),
            invalid('a name of two lines', 'PATCH', path, { name: 'a\r\nb' }, /name/),
          ],
          good: { method: 'PATCH', path, payload: { latitude: null, time_zone: 'Europe/Berlin' }, status: 200, changes: true, check: (b) => expect(b).toMatchObject({ latitude: null, time_zone: 'Europe/Berlin' }) },
        };
      },

      'POST /api/flowline/v1/controllers': async () => {
        const body = (extra: object) => ({ facility_id: acme.facility.id, serial_number: 'BAD-1', model: 'W900', name: 'Bad', ...extra });
        const reg = (title: string, extra: object, message?: string | RegExp) => invalid(title, 'POST', '/controllers', body(extra), message);
        return {
          bad: [
            ...malformed('POST', '/controllers', body({})),
            invalid('no serial number', 'POST', '/controllers', { facility_id: acme.facility.id, model: 'W900', name: 'Bad' }, /serial_number/),
            invalid('no facility', 'POST', '/controllers', { serial_number: 'BAD-1', model: 'W900', name: 'Bad' }, /facility_id/),
            reg('an empty serial number', { serial_number: '' }, /serial_number/),
            reg('a blank serial number', { serial_number: '   ' }, /serial_number/),
            reg('a NUL byte in the serial number', { serial_number: 'BAD\u00001' }, /serial.number/),
            reg('a serial number of 65 characters', { serial_number: text(65) }, /serial_number/),
            reg('a number for the serial', { serial_number: 12345 }, /serial_number must be string/),
            reg('facility_id 0', { facility_id: 0 }, /facility_id/),
            reg('facility_id as text', { facility_id: String(acme.facility.id) }, /facility_id/),
            reg('pipe_diameter 0', { pipe_diameter: 0 }, /pipe_diameter must be > 0/),
            reg('pipe_diameter -1', { pipe_diameter: -1 }, /pipe_diameter/),
            reg('pipe_diameter 1000.5', { pipe_diameter: 1000.5 }, /pipe_diameter must be <= 1000/),
            reg('latitude 91', { latitude: 91 }, /latitude/),
            reg('activated_at not a time', { activated_at: 'yesterday' }, /activated_at must be an ISO 8601 date-time/),
            reg('a tag of 201 characters', { tag: text(201) }, /tag/),
            reg('processes not a list', { processes: 'Tower' }, /processes must be array/),
            reg('a process without a name', { processes: [{}] }, /name/),
            reg('a blank process name', { processes: [{ name: ' ' }] }, /name/),
            reg('a process listed twice', { processes: [{ name: 'Tower' }, { name: ' Tower' }] }, 'Process "Tower" is listed twice.'),
            reg('an unknown property on a channel', { channels: [{ number: 'S1', type: 'ph', colour: 'red' }] }, /additional properties: "colour"/),
            reg('a channel without a type', { channels: [{ number: 'S1' }] }, /type/),
            reg('a channel kind that does not exist', { channels: [{ number: 'S1', type: 'ph', kind: 'sideways' }] }, /kind/),
            reg('a channel unit of 33 characters', { channels: [{ number: 'S1', type: 'ph', unit: text(33) }] }, /unit/),
            reg('a channel number of two lines', { channels: [{ number: 'S\n1', type: 'ph' }] }, /number/),
            reg('a channel number listed twice', { channels: [{ number: 'S1', type: 'ph' }, { number: 'S2', type: 'ph' }, { number: 'S1 ', type: 'orp' }] }, 'Channel S1 is listed twice.'),
            reg('a channel naming a process not in the list', { processes: [{ name: 'Tower' }], channels: [{ number: 'S1', type: 'ph', process: 'Boiler' }] }, /Channel S1 names process "Boiler", which is not among the controller's processes \(Tower\)/),
            reg('501 channels', { channels: Array.from({ length: 501 }, (_, i) => ({ number: `S${i}`, type: 'ph' })) }, /channels must NOT have more than 500 items/),
            { title: 'a serial number already registered', method: 'POST', path: '/controllers', payload: body({ serial_number: acme.controller.serialNumber }), status: 409, code: 'conflict', message: `A controller with serial number ${acme.controller.serialNumber} is already registered.` },
            { title: 'a facility that does not exist', method: 'POST', path: '/controllers', payload: body({ facility_id: NO_SUCH_ID }), status: 404, code: 'not_found', message: 'Facility not found.' },
          ],
          good: {
            method: 'POST',
            path: '/controllers',
            payload: body({ pipe_diameter: 1000, latitude: -90, activated_at: '2026-11-01T00:00:00Z', processes: [{ name: 'Tower' }], channels: [{ number: 'S1', type: 'ph', process: 'Tower' }, { number: 'S2', type: 'ph', process: null }] }),
            status: 201,
            changes: true,
            check: (b) => expect(b).toMatchObject({ controller: { serial_number: 'BAD-1', activated_at: '2026-11-01T00:00:00.000Z' } }),
          },
        };
      },
      'GET /api/flowline/v1/controllers/:id': async () => ({ bad: badIds('GET', '/controllers/:id'), good: { method: 'GET', path: `/controllers/${acme.controller.id}`, status: 200 } }),
      'PATCH /api/flowline/v1/controllers/:id': async () => {
        const path = `/controllers/${acme.controller.id}`;
        return {
          bad: [
            ...badIds('PATCH', '/controllers/:id', { name: 'Fine' }),
            ...malformed('PATCH', path, { name: 'Fine' }),
            invalid('an empty change', 'PATCH', path, {}, /fewer than 1/),
            invalid('a new serial number', 'PATCH', path, { serial_number: 'NEW-1' }, /additional properties: "serial_number"/),
            invalid('pipe_diameter 0', 'PATCH', path, { pipe_diameter: 0 }, /pipe_diameter/),
            invalid('facility_id as text', 'PATCH', path, { facility_id: 'one' }, /facility_id/),
            invalid('activated_at not a time', 'PATCH', path, { activated_at: '24/11/2026' }, /activated_at/),
            invalid('a blank model', 'PATCH', path, { model: ' ' }, /model/),
            { title: 'a facility that does not exist', method: 'PATCH', path, payload: { facility_id: NO_SUCH_ID }, status: 404, code: 'not_found', message: 'Facility not found.' },
          ],
          good: { method: 'PATCH', path, payload: { pipe_diameter: 0.5, tag: null }, status: 200, changes: true, check: (b) => expect(b).toMatchObject({ pipe_diameter: 0.5, tag: null }) },
        };
      },
      'POST /api/flowline/v1/controllers/:id/processes': async () => {
        const path = `/controllers/${acme.controller.id}/processes`;
        return {
          bad: [
            ...badIds('POST', '/controllers/:id/processes', { name: 'Fine' }),
            ...malformed('POST', path, { name: 'Fine' }),
            invalid('no name', 'POST', path, {}, /name/),
            invalid('a blank name', 'POST', path, { name: '\t' }, /name/),
            invalid('a name of 201 characters', 'POST', path, { name: text(201) }, /name/),
          ],
          good: { method: 'POST', path, payload: { name: 'Boiler' }, status: 201, changes: true },
        };
      },
      'PATCH /api/flowline/v1/processes/:id': async () => {
        const path = `/processes/${acme.process.id}`;
        return {
          bad: [
            ...badIds('PATCH', '/processes/:id', { name: 'Fine' }),
            ...malformed('PATCH', path, { name: 'Fine' }),
            invalid('no name', 'PATCH', path, {}, /name/),
            invalid('a NUL byte', 'PATCH', path, { name: 'Tower\u0000' }, /name/),
            invalid('moving it to another controller', 'PATCH', path, { name: 'Tower', controller_id: other.controller.id }, /additional properties: "controller_id"/),
          ],
          good: { method: 'PATCH', path, payload: { name: 'Cooling Tower One' }, status: 200, changes: true },
        };
      },
      'POST /api/flowline/v1/controllers/:id/channels': async () => {
        const path = `/controllers/${acme.controller.id}/channels`;
        return {
          bad: [
            ...badIds('POST', '/controllers/:id/channels', { number: 'S40', type: 'ph' }),
            ...malformed('POST', path, { number: 'S40', type: 'ph' }),
            invalid('no number', 'POST', path, { type: 'ph' }, /number/),
            invalid('no type', 'POST', path, { number: 'S40' }, /type/),
            invalid('a kind that does not exist', 'POST', path, { number: 'S40', type: 'ph', kind: 'both' }, /kind/),
            invalid('process_id 0', 'POST', path, { number: 'S40', type: 'ph', process_id: 0 }, /process_id/),
            invalid('a NUL byte in the unit', 'POST', path, { number: 'S40', type: 'ph', unit: 'p\u0000H' }, /unit/),
            { title: 'a number the controller already has', method: 'POST', path, payload: { number: 'S11', type: 'ph' }, status: 409, code: 'conflict', message: `Controller ${acme.controller.serialNumber} already has a channel S11.` },
            { title: 'the same number with spaces', method: 'POST', path, payload: { number: ' S11 ', type: 'ph' }, status: 409, code: 'conflict' },
            { title: "another controller's process", method: 'POST', path, payload: { number: 'S40', type: 'ph', process_id: other.processes[0]!.id }, status: 422, code: 'unprocessable' },
            { title: 'a process that does not exist', method: 'POST', path, payload: { number: 'S40', type: 'ph', process_id: NO_SUCH_ID }, status: 422, code: 'unprocessable' },
          ],
          good: { method: 'POST', path, payload: { number: 'S40', type: 'pump', process_id: acme.process.id }, status: 201, changes: true, check: (b) => expect(b).toMatchObject({ kind: 'output', process_id: acme.process.id }) },
        };
      },
      'PATCH /api/flowline/v1/channels/:id': async () => {
        const path = `/channels/${acme.channels.unassigned.id}`;
        return {
          bad: [
            ...badIds('PATCH', '/channels/:id', { name: 'Fine' }),
            ...malformed('PATCH', path, { name: 'Fine' }),
            invalid('an empty change', 'PATCH', path, {}, /fewer than 1/),
            invalid('a new number', 'PATCH', path, { number: 'S98' }, /additional properties: "number"/),
            invalid('an empty type', 'PATCH', path, { type: '' }, /type/),
            invalid('a kind that does not exist', 'PATCH', path, { kind: 'sideways' }, /kind/),
            invalid('process_id as text', 'PATCH', path, { process_id: String(acme.process.id) }, /process_id/),
            { title: "another controller's process", method: 'PATCH', path, payload: { process_id: other.processes[0]!.id }, status: 422, code: 'unprocessable', message: `Process ${other.processes[0]!.id} is not a process of this channel's controller.` },
          ],
          good: { method: 'PATCH', path, payload: { process_id: acme.process.id, unit: null }, status: 200, changes: true, check: (b) => expect(b).toMatchObject({ process_id: acme.process.id, unit: null }) },
        };
      },

      'GET /api/flowline/v1/controllers/:id/ingest-keys': async () => ({
        bad: badIds('GET', '/controllers/:id/ingest-keys'),
        good: { method: 'GET', path: `/controllers/${other.controller.id}/ingest-keys`, status: 200 },
      }),
      'POST /api/flowline/v1/controllers/:id/ingest-keys': async () => {
        const path = `/controllers/${other.controller.id}/ingest-keys`;
        return {
          bad: [
            ...badIds('POST', '/controllers/:id/ingest-keys', { overlap_seconds: 0 }),
            ...malformed('POST', path, { overlap_seconds: 0 }),
            invalid('overlap_seconds -1', 'POST', path, { overlap_seconds: -1 }, /overlap_seconds must be >= 0/),
            invalid('overlap_seconds 30 days + 1', 'POST', path, { overlap_seconds: THIRTY_DAYS + 1 }, /overlap_seconds must be <= 2592000/),
            invalid('overlap_seconds 1.5', 'POST', path, { overlap_seconds: 1.5 }, /overlap_seconds must be integer/),
            invalid('overlap_seconds as text', 'POST', path, { overlap_seconds: '60' }, /overlap_seconds must be integer/),
            invalid('overlap_seconds null', 'POST', path, { overlap_seconds: null }, /overlap_seconds must be integer/),
          ],
          good: { method: 'POST', path, payload: { overlap_seconds: THIRTY_DAYS }, status: 201, changes: true, check: (b) => expect(b.previous_keys_stop_at).toBe('2026-12-24T08:00:00.000Z') },
        };
      },
      'DELETE /api/flowline/v1/controllers/:id/ingest-keys': async () => ({
        bad: badIds('DELETE', '/controllers/:id/ingest-keys'),
        good: { method: 'DELETE', path: `/controllers/${other.controller.id}/ingest-keys`, status: 200, changes: true },
      }),
      'DELETE /api/flowline/v1/controllers/:id/ingest-keys/:keyId': async () => {
        const live = ok(await send(app, 'POST', `/controllers/${other.controller.id}/ingest-keys`, byToken(operator), { overlap_seconds: 60 }), 201).ingest_key as { id: number };
        return {
          bad: [
            ...badIds('DELETE', `/controllers/:id/ingest-keys/${live.id}`),
            ...badIds('DELETE', `/controllers/${other.controller.id}/ingest-keys/:keyId`, undefined, undefined, ':keyId'),
            { title: 'a key of another controller', method: 'DELETE', path: `/controllers/${acme.controller.id}/ingest-keys/${live.id}`, status: 404, code: 'not_found', message: 'Live ingest key not found.' },
          ],
          good: { method: 'DELETE', path: `/controllers/${other.controller.id}/ingest-keys/${live.id}`, status: 200, changes: true, check: (b) => expect(b).toEqual({ revoked: 1 }) },
        };
      },

      'GET /api/flowline/v1/users': async () => ({
        bad: ['abc', '0', '1.5'].map((id) => invalid(`customer_id = ${id}`, 'GET', `/users?customer_id=${id}`, undefined, /customer_id/)),
        good: { method: 'GET', path: '/users', status: 200 },
      }),
      'POST /api/flowline/v1/users': async () => ({
        bad: [
          ...malformed('POST', '/users', { email: 'fine@acme.example' }),
          invalid('no e-mail', 'POST', '/users', { name: 'No Mail' }, /email/),
          invalid('not an e-mail', 'POST', '/users', { email: 'not-an-email' }, /email/),
          invalid('an e-mail with a space', 'POST', '/users', { email: 'a b@acme.example' }, /email/),
          invalid('a NUL byte in the e-mail', 'POST', '/users', { email: 'nul\u0000@acme.example' }, /email/),
          invalid('an e-mail over 254 characters', 'POST', '/users', { email: `${text(243)}@acme.example` }, /email/),
          invalid('a role that does not exist', 'POST', '/users', { email: 'root@acme.example', role: 'root' }, /role/),
          invalid('a blank name', 'POST', '/users', { email: 'blank@acme.example', name: ' ' }, /name/),
          invalid('operator as text', 'POST', '/users', { email: 'op@acme.example', operator: 'yes' }, /operator must be boolean/),
          invalid('customer_id 0', 'POST', '/users', { email: 'zero@acme.example', customer_id: 0 }, /customer_id/),
          invalid('a password (invitations set none)', 'POST', '/users', { email: 'pw@acme.example', password: 'chosen-password' }, /additional properties: "password"/),
          { title: 'an e-mail already used', method: 'POST', path: '/users', payload: { email: acme.user.email }, status: 409, code: 'conflict', message: `A user with e-mail ${acme.user.email} already exists.` },
          { title: 'an e-mail already used, in capitals', method: 'POST', path: '/users', payload: { email: acme.admin.email.toUpperCase() }, status: 409, code: 'conflict' },
          { title: 'an operator address already used', method: 'POST', path: '/users', as: 'operator', payload: { email: operator.email, operator: true }, status: 409, code: 'conflict' },
        ],
        good: { method: 'POST', path: '/users', payload: { email: 'New.User@Acme.example', role: 'admin' }, status: 201, changes: true, check: (b) => expect(b.user).toMatchObject({ email: 'new.user@acme.example' }) },
      }),
      'GET /api/flowline/v1/users/:id': async () => ({ bad: badIds('GET', '/users/:id'), good: { method: 'GET', path: `/users/${acme.user.id}`, status: 200 } }),
      'PATCH /api/flowline/v1/users/:id': async () => {
        const path = `/users/${acme.user.id}`;
        return {
          bad: [
            ...badIds('PATCH', '/users/:id', { name: 'Fine' }),
            ...malformed('PATCH', path, { name: 'Fine' }),
            invalid('an empty change', 'PATCH', path, {}, /fewer than 1/),
            invalid('a role that does not exist', 'PATCH', path, { role: 'owner' }, /role/),
            invalid('disabled as text', 'PATCH', path, { disabled: 'no' }, /disabled must be boolean/),
            invalid('a name of 201 characters', 'PATCH', path, { name: text(201) }, /name/),
            invalid('a new e-mail', 'PATCH', path, { email: 'other@acme.example' }, /additional properties: "email"/),
            invalid('making them an operator', 'PATCH', path, { operator: true }, /additional properties: "operator"/),
          ],
          good: { method: 'PATCH', path, payload: { name: 'Acme User' }, status: 200, changes: true },
        };
      },
      'POST /api/flowline/v1/users/:id/password-link': async () => ({ bad: badIds('POST', '/users/:id/password-link'), good: { method: 'POST', path: `/users/${acme.user.id}/password-link`, status: 201 } }),

      'PUT /api/flowline/v1/account/password': async () => {
        const current = acme.admin.password;
        const body = (extra: object) => ({ current_password: current, new_password: 'a-new-password', ...extra });
        return {
          bad: [
            ...malformed('PUT', '/account/password', body({})),
            invalid('no current password', 'PUT', '/account/password', { new_password: 'a-new-password' }, /current_password/),
            invalid('no new password', 'PUT', '/account/password', { current_password: current }, /new_password/),
            invalid('a too-short password', 'PUT', '/account/password', body({ new_password: 'seven77' }), /new_password must NOT have fewer than 8 characters/),
            invalid('a password of 1025 characters', 'PUT', '/account/password', body({ new_password: text(1025) }), /new_password/),
            invalid('a number for a password', 'PUT', '/account/password', body({ new_password: 12345678 }), /new_password must be string/),
            { title: 'a wrong current password', method: 'PUT', path: '/account/password', payload: body({ current_password: 'not-my-password' }), status: 422, code: 'unprocessable', message: 'The current password is not right.' },
          ],
          good: {
            method: 'PUT',
            path: '/account/password',
            payload: body({ new_password: text(1024) }),
            status: 204,
            check: () => {
              acme.admin.password = text(1024);
            },
          },
        };
      },
      'POST /api/flowline/v1/account/password-reset': async () => ({
        bad: [
          ...malformed('POST', '/account/password-reset', { email: 'x@acme.example' }, 'nobody'),
          invalid('no e-mail', 'POST', '/account/password-reset', {}, /email/, 'nobody'),
          invalid('an empty e-mail', 'POST', '/account/password-reset', { email: '' }, /email/, 'nobody'),
          invalid('an e-mail over 254 characters', 'POST', '/account/password-reset', { email: `${text(243)}@acme.example` }, /email/, 'nobody'),
          invalid('a number', 'POST', '/account/password-reset', { email: 5 }, /email must be string/, 'nobody'),
        ],
        good: { method: 'POST', path: '/account/password-reset', as: 'nobody', payload: { email: acme.user.email }, status: 202 },
      }),
      'POST /api/flowline/v1/account/password-link': async () => {
        const token = await freshLinkToken();
        return {
          bad: [
            ...malformed('POST', '/account/password-link', { token }, 'nobody'),
            invalid('no token', 'POST', '/account/password-link', {}, /token/, 'nobody'),
            invalid('an empty token', 'POST', '/account/password-link', { token: '' }, /token/, 'nobody'),
            invalid('a token with a slash', 'POST', '/account/password-link', { token: '../flpw_x' }, /token/, 'nobody'),
            invalid('a NUL byte in the token', 'POST', '/account/password-link', { token: `${token}\u0000` }, /token/, 'nobody'),
            invalid('a token of 201 characters', 'POST', '/account/password-link', { token: text(201) }, /token/, 'nobody'),
            { title: 'a token that does not exist', method: 'POST', path: '/account/password-link', as: 'nobody', payload: { token: `${token}x` }, status: 404, code: 'not_found' },
          ],
          good: { method: 'POST', path: '/account/password-link', as: 'nobody', payload: { token }, status: 200, check: (b) => expect(b).toMatchObject({ email: acme.user.email }) },
        };
      },
      'POST /api/flowline/v1/account/set-password': async () => {
        const token = await freshLinkToken();
        return {
          bad: [
            ...malformed('POST', '/account/set-password', { token, password: 'a-fine-password' }, 'nobody'),
            invalid('no password', 'POST', '/account/set-password', { token }, /password/, 'nobody'),
            invalid('no token', 'POST', '/account/set-password', { password: 'a-fine-password' }, /token/, 'nobody'),
            invalid('a too-short password', 'POST', '/account/set-password', { token, password: 'short' }, /password must NOT have fewer than 8 characters/, 'nobody'),
            invalid('a password of 1025 characters', 'POST', '/account/set-password', { token, password: text(1025) }, /password/, 'nobody'),
            invalid('a token with spaces', 'POST', '/account/set-password', { token: ` ${token} `, password: 'a-fine-password' }, /token/, 'nobody'),
          ],
          // The refusals did not use the link up.
          good: { method: 'POST', path: '/account/set-password', as: 'nobody', payload: { token, password: 'acme-user-new-password' }, status: 200, check: (b) => expect(b).toEqual({ email: acme.user.email }) },
        };
      },
    };

    beforeAll(async () => {
      ({ store, drop } = await factory.create());
      app = await buildTestApp(store, clock, RATE_LIMITS);
      acme = await createTenant(store, 'Acme');
      await createTenant(store, 'Bolt');
      operator = await createOperator(store);
      other = ok(
        await send(app, 'POST', '/controllers', byToken(acme.admin), { facility_id: acme.facility.id, serial_number: 'OTHER-1', model: 'W900', name: 'Other', processes: [{ name: 'Other Tower' }] }),
        201,
      );
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('every onboarding and account route is here', () => {
      expect(Object.keys(ROUTES).sort()).toEqual(Object.keys(ONBOARDING_ROUTE_CHECKS).sort());
    });

    for (const route of Object.keys(ROUTES)) {
      it(`${route}: bad input is a clear 4xx and changes nothing; good input passes`, async () => {
        const { bad, good } = await ROUTES[route]!();
        const before = await snapshotOf(app, operator);
        for (const c of bad) {
          const res = await sendCase(c);
          expect(res.statusCode, `${c.title}: ${res.body}`).toBeLessThan(500);
          // The case's title in the failure, then the envelope exactly.
          const expected = c.message === undefined ? expect.any(String) : typeof c.message === 'string' ? c.message : expect.stringMatching(c.message);
          expect({ status: res.statusCode, message: res.json().error?.message }, c.title).toEqual({ status: c.status, message: expected });
          expectNativeError(res, c.status, c.code, c.message);
        }
        expect(await snapshotOf(app, operator)).toEqual(before);
        const res = await sendCase(good);
        expect(res.statusCode, res.body).toBe(good.status);
        good.check?.(res.body === '' ? {} : res.json());
        if (good.changes) expect(await snapshotOf(app, operator)).not.toEqual(before);
      });
    }

    // Bug: the name pattern's `\S` admits one NUL byte, and channel and user names skip the
    // domain's name check. SQLite stores the NUL; PostgreSQL refuses it only after the
    // controller is written (POST /controllers answers 400, the serial number is then taken).
    it('a NUL byte in a channel name refuses the whole registration, which leaves nothing behind', async () => {
      const before = await snapshotOf(app, operator);
      const body = { facility_id: acme.facility.id, serial_number: 'NUL-NAME-1', model: 'W900', name: 'Nul', channels: [{ number: 'S1', type: 'ph', name: 'pH\u0000' }] };
      expectNativeError(await send(app, 'POST', '/controllers', byToken(acme.admin), body), 400, 'invalid_request');
      expect(await snapshotOf(app, operator)).toEqual(before);
    });

    it('a NUL byte in a channel name or a user name is refused', async () => {
      const before = await snapshotOf(app, operator);
      const attempts: [Method, string, object][] = [
        ['POST', `/controllers/${acme.controller.id}/channels`, { number: 'S60', type: 'ph', name: 'pH\u0000' }],
        ['POST', '/users', { email: 'nul-name@acme.example', name: 'Nul\u0000Name' }],
        ['PATCH', `/users/${acme.user.id}`, { name: 'Nul\u0000Name' }],
      ];
      for (const [method, path, payload] of attempts) expectNativeError(await send(app, method, path, byToken(acme.admin), payload), 400, 'invalid_request');
      expect(await snapshotOf(app, operator)).toEqual(before);
    });

    // Bug: the ISO pattern lets 2026-02-30 and month 13 through; the route turns what it cannot
    // parse into null, so registration stores no activation time and PATCH erases the one there.
    it('a date that does not exist is refused as activated_at, and an existing one stays', async () => {
      const path = `/controllers/${other.controller.id}`;
      ok(await send(app, 'PATCH', path, byToken(acme.admin), { activated_at: '2026-11-01T00:00:00Z' }));
      const before = await snapshotOf(app, operator);
      for (const when of ['2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z']) {
        expectNativeError(await send(app, 'PATCH', path, byToken(acme.admin), { activated_at: when }), 400, 'invalid_request');
        const body = { facility_id: acme.facility.id, serial_number: `NO-DAY-${when.slice(5, 7)}`, model: 'W900', name: 'No Day', activated_at: when };
        expectNativeError(await send(app, 'POST', '/controllers', byToken(acme.admin), body), 400, 'invalid_request');
      }
      expect(await snapshotOf(app, operator)).toEqual(before);
    });

    // Bug: process names are trimmed, the process a channel names is not.
    it('a channel names its process exactly as the process list spells it, spaces included', async () => {
      const body = { facility_id: acme.facility.id, serial_number: 'SPACED-1', model: 'W900', name: 'Spaced', processes: [{ name: 'Tower 1 ' }], channels: [{ number: 'S1', type: 'ph', process: 'Tower 1 ' }] };
      const made = ok(await send(app, 'POST', '/controllers', byToken(acme.admin), body), 201);
      expect(made.channels[0].process_id).toBe(made.processes[0].id);
    });

    it('a reset for an address with a NUL byte answers like any other', async () => {
      const known = await send(app, 'POST', '/account/password-reset', {}, { email: acme.user.email });
      for (const email of ['nul\u0000@acme.example', `${acme.user.email}\u0000`]) {
        const res = await send(app, 'POST', '/account/password-reset', {}, { email });
        expect(res.statusCode, res.body).toBe(202);
        expect(res.body).toBe(known.body);
      }
    });

    it('a registration refused for its channels leaves nothing behind: the serial number is still free', async () => {
      const serial = 'ATOMIC-1';
      const base = { facility_id: acme.facility.id, serial_number: serial, model: 'W900', name: 'Atomic', processes: [{ name: 'Tower' }, { name: 'Boiler' }] };
      const before = await snapshotOf(app, operator);
      for (const channels of [
        [{ number: 'S1', type: 'ph', process: 'Tower' }, { number: 'S1', type: 'orp', process: 'Boiler' }],
        [{ number: 'S1', type: 'ph', process: 'Tower' }, { number: 'S2', type: 'orp', process: 'Chiller' }],
      ]) {
        expectNativeError(await send(app, 'POST', '/controllers', byToken(acme.admin), { ...base, channels }), 400, 'invalid_request');
        expect((await send(app, 'GET', '/controllers', byToken(operator))).body).not.toContain(serial);
      }
      expect(await snapshotOf(app, operator)).toEqual(before);
      const made = ok(await send(app, 'POST', '/controllers', byToken(acme.admin), { ...base, channels: [{ number: 'S1', type: 'ph', process: 'Tower' }, { number: 'S2', type: 'orp', process: 'Boiler' }] }), 201);
      expect(made.channels.map((c: { number: string; process_id: number }) => [c.number, c.process_id])).toEqual([
        ['S1', made.processes[0].id],
        ['S2', made.processes[1].id],
      ]);
    });
  });
}
