import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, issueApiToken } from '../../../src/domain/accounts.js';
import { PLATFORM_SCOPE } from '../../../src/domain/scope.js';
import { basic, buildTestApp, manualClock } from '../../helpers/app.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';
import { API, expectNativeError, expectUnauthorized, ingest } from '../support.js';

/**
 * A complete onboarding with no demo data, through the API only, as a water-treatment service
 * company would do it on day one: an operator creates the customer and invites its admin (the
 * invitation arrives by real SMTP); the admin sets a password from the mailed link, logs in,
 * registers a facility, a controller with processes and channels, and a flow sensor; the
 * devices push readings with their ingest keys; the data shows on all three faces; a key is
 * rotated with an overlap and revoked; the customer is disabled and every credential stops.
 */

interface Mail {
  to: string;
  from: string;
  raw: string;
}

/** A real SMTP server on a loopback port that keeps what it receives. */
async function startSmtp(): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('SMTP server has no port');
  return { port: address.port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The body of a mail, with quoted-printable soft line breaks undone. */
const mailText = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');

async function eventually<T>(check: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const START = Date.parse('2026-11-30T12:00:00Z');

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: onboarding through the API`, () => {
    let store: TestStore;
    let drop: (() => Promise<void>) | undefined;
    let app: FastifyInstance;
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    const clock = manualClock(START);
    let operatorAuth: string;

    const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, authorization: string | undefined, payload?: object): Promise<LightMyRequestResponse> =>
      // Flowline's own routes by their path under API; the faces' (and OAuth's) as they are.
      app.inject({ method, url: /^\/(api|oauth|controller)\//.test(url) ? url : `${API}${url}`, headers: authorization ? { authorization } : {}, ...(payload ? { payload } : {}) });
    const ok = async (res: Promise<LightMyRequestResponse>, status = 200) => {
      const r = await res;
      expect(r.statusCode, r.body).toBe(status);
      return r.json();
    };

    beforeAll(async () => {
      smtp = await startSmtp();
      ({ store, drop } = await factory.create({ now: () => clock.now() }));
      app = await buildTestApp(store, clock, {
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        MAIL_FROM: 'Flowline <noreply@flowline.test>',
        PUBLIC_URL: 'https://flowline.example.com/',
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
      });
      const operator = await createAccount(store, PLATFORM_SCOPE, { customerId: null, operator: true, email: 'ops@flowline.test', name: 'Ops', role: 'admin', password: 'operator-password' });
      operatorAuth = `Token ${(await issueApiToken(store, operator.id, clock)).token}`;
    });
    afterAll(async () => {
      await app?.close();
      await store?.close();
      await drop?.();
      await smtp?.close();
    });

    it('onboards a customer end to end, rotates and revokes a key, and disabling the customer stops every credential', async () => {
      // The operator creates the customer and invites its first admin.
      const customer = await ok(call('POST', '/customers', operatorAuth, { name: 'Permian Produced Water' }), 201);
      expect(customer).toMatchObject({ name: 'Permian Produced Water', disabled: false, disabled_at: null });
      const invited = await ok(call('POST', '/users', operatorAuth, { email: 'Dana@Permian.example', name: 'Dana Ortiz', role: 'admin', customer_id: customer.id }), 201);
      expect(invited.user).toMatchObject({ email: 'dana@permian.example', role: 'admin', customer_id: customer.id, operator: false, has_password: false, disabled: false });
      expect(invited.set_password_link).toMatchObject({ purpose: 'invite', mailed: true, expires_at: '2026-12-07T12:00:00.000Z' });
      expect(invited.set_password_link.url).toMatch(/^https:\/\/flowline\.example\.com\/app\/set-password#token=flpw_[A-Za-z0-9_-]{43}$/);

      // The invitation arrives by SMTP, from MAIL_FROM, with the same link.
      const mail = await eventually(() => smtp.mails.find((m) => m.to === 'dana@permian.example'), 'the invitation mail');
      expect(mail.from).toBe('noreply@flowline.test');
      expect(mail.raw).toMatch(/^Subject: You are invited to Flowline\r?$/m);
      const mailed = /https:\/\/flowline\.example\.com\/app\/set-password#token=(flpw_[A-Za-z0-9_-]+)/.exec(mailText(mail.raw));
      expect(mailed?.[0]).toBe(invited.set_password_link.url);
      const linkToken = mailed![1]!;

      // Before a password is set, nothing logs in; the link says whose it is, then sets the password once.
      expectUnauthorized(await call('GET', '/account', basic('dana@permian.example', '')), 'invalid_credentials', 'Invalid username/password.');
      expect(await ok(call('POST', '/account/password-link', undefined, { token: linkToken }))).toEqual({ email: 'dana@permian.example', name: 'Dana Ortiz', purpose: 'invite', expires_at: '2026-12-07T12:00:00.000Z' });
      expect(await ok(call('POST', '/account/set-password', undefined, { token: linkToken, password: 'Produced-Water-2026' }))).toEqual({ email: 'dana@permian.example' });
      const again = await call('POST', '/account/set-password', undefined, { token: linkToken, password: 'Someone-Else-2026' });
      expectNativeError(again, 404, 'not_found');
      const admin = basic('dana@permian.example', 'Produced-Water-2026');
      const account = await ok(call('GET', '/account', admin));
      expect(account).toMatchObject({ email: 'dana@permian.example', role: 'admin', customer_id: customer.id, operator: false, has_api_token: false, api_terms_accepted_at: null });

      // The admin accepts the terms once with the first token.
      const token = await ok(call('POST', '/account/token', admin, { accept_terms: true }), 201);
      expect(token.terms_accepted_at).toBe('2026-11-30T12:00:00.000Z');
      const adminToken = `Token ${token.token}`;

      // A facility (the admin's own customer by default), a controller with processes and channels, a flow sensor.
      const facility = await ok(call('POST', '/facilities', adminToken, { name: 'Pecos Disposal Site', time_zone: 'America/Chicago', latitude: 31.42, longitude: -103.49 }), 201);
      expect(facility).toMatchObject({ customer_id: customer.id, name: 'Pecos Disposal Site', time_zone: 'America/Chicago' });
      const registered = await ok(
        call('POST', '/controllers', adminToken, {
          facility_id: facility.id,
          serial_number: '2211000001',
          model: 'WebMaster ONE',
          name: 'Injection Skid',
          processes: [{ name: 'Injection' }],
          channels: [
            { number: 'S11', type: 'conductivity', unit: 'µS/cm', name: 'Conductivity', process: 'Injection' },
            { number: 'R1', type: 'relay', name: 'Chemical Pump', process: 'Injection' },
            { number: 'S12', type: 'temperature', unit: '°F' },
          ],
        }),
        201,
      );
      expect(registered.controller).toMatchObject({ serial_number: '2211000001', facility_id: facility.id, customer_id: customer.id });
      expect(registered.processes.map((p: { name: string }) => p.name)).toEqual(['Injection']);
      expect(registered.channels.map((c: { number: string; kind: string; process_id: number | null }) => [c.number, c.kind, c.process_id])).toEqual([
        ['S11', 'input', registered.processes[0].id],
        ['R1', 'output', registered.processes[0].id],
        ['S12', 'input', null],
      ]);
      const firstKey: string = registered.ingest_key.key;
      expect(firstKey).toMatch(/^flik_/);
      expect(registered.ingest_key.ingest_key).toMatchObject({ state: 'active', prefix: firstKey.slice(0, 11), expires_at: null });

      const sensor = await ok(call('POST', '/controllers', adminToken, { facility_id: facility.id, serial_number: 'FS-0042', model: 'flow_sensor', name: 'Outfall Meter', pipe_diameter: 4, tag: 'outfall' }), 201);
      expect(sensor.channels).toMatchObject([{ number: 'S1', type: 'flowrate', unit: 'bbl/day', process_id: sensor.processes[0].id }]);

      // The devices push readings with their keys; the unassigned channel is reported, not stored.
      const pushed = await ingest(app, firstKey, { readings: [{ channel: 'S11', time: '2026-11-30T11:59:00Z', value: 1480.5 }, { channel: 'S12', time: '2026-11-30T11:59:00Z', value: 71 }] });
      expect(pushed.statusCode, pushed.body).toBe(200);
      expect(pushed.json()).toMatchObject({ controller: '2211000001', stored: 1, not_stored: [{ channel: 'S12' }] });
      const pings = await ingest(app, sensor.ingest_key.key, { readings: [{ channel: 'S1', time: '2026-11-30T11:00:00Z', value: 2400 }, { channel: 'S1', time: '2026-11-30T11:30:00Z', value: 2600 }] });
      expect(pings.json()).toMatchObject({ stored: 2 });

      // The data shows on all three faces.
      const fluentAuth = basic('dana@permian.example', token.token);
      expect(await ok(call('GET', '/controller/list/', fluentAuth))).toEqual({ 'controller-list': ['2211000001', 'FS-0042'] });
      const current = await ok(call('GET', '/controller/current-readings/2211000001', fluentAuth));
      expect(JSON.stringify(current)).toContain('1480.5');
      const sensors = await ok(call('GET', '/api/v1/flow_sensors/', adminToken));
      expect(sensors).toMatchObject({ count: 1, results: [{ id: sensor.controller.id, name: 'Outfall Meter', tag: 'outfall', pipe_diameter: 4 }] });
      const sensorPings = await ok(call('GET', `/api/v1/flow_sensors/${sensor.controller.id}/pings/`, adminToken));
      expect(sensorPings.results.map((p: { flowrate: number }) => p.flowrate).sort()).toEqual([2400, 2600]);
      const fluxx = await ok(call('GET', '/api/rest/v2/reading?per_page=100', adminToken));
      expect(JSON.stringify(fluxx)).toContain('1480.5');

      // Rotation with a one-hour overlap: both keys work during it, only the new one after.
      const rotated = await ok(call('POST', `/controllers/${registered.controller.id}/ingest-keys`, adminToken, { overlap_seconds: 3600 }), 201);
      expect(rotated.previous_keys_stop_at).toBe('2026-11-30T13:00:00.000Z');
      const secondKey: string = rotated.key;
      for (const [key, minute] of [[firstKey, '01'], [secondKey, '02']] as const) {
        const res = await ingest(app, key, { readings: [{ channel: 'S11', time: `2026-11-30T12:${minute}:00Z`, value: 1500 }] });
        expect(res.statusCode, res.body).toBe(200);
      }
      const keys = await ok(call('GET', `/controllers/${registered.controller.id}/ingest-keys`, adminToken));
      expect(keys.ingest_keys.map((k: { state: string }) => k.state)).toEqual(['active', 'expiring']);
      expect(JSON.stringify(keys)).not.toContain(firstKey);
      expect(JSON.stringify(keys)).not.toContain(secondKey);
      clock.advance(3600_000);
      expectUnauthorized(await ingest(app, firstKey, { readings: [] }), 'invalid_token', 'Unknown or revoked ingest key.');
      expect((await ingest(app, secondKey, { readings: [{ channel: 'S11', time: '2026-11-30T13:00:00Z', value: 1510 }] })).statusCode).toBe(200);

      // Revoked: refused at once.
      expect(await ok(call('DELETE', `/controllers/${registered.controller.id}/ingest-keys`, adminToken))).toEqual({ revoked: 1 });
      expectUnauthorized(await ingest(app, secondKey, { readings: [] }), 'invalid_token', 'Unknown or revoked ingest key.');
      const thirdKey: string = (await ok(call('POST', `/controllers/${registered.controller.id}/ingest-keys`, adminToken, {}), 201)).key;
      expect((await ingest(app, thirdKey, { readings: [] })).statusCode).toBe(200);

      // An API client (Fluxx OAuth) and a webhook of the customer, to see them stop too.
      const client = await ok(call('POST', '/oauth/applications', adminToken, { name: 'Reporting' }), 201);
      const exchange = await ok(call('POST', '/oauth/token', undefined, { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }));
      const clientAuth = `Bearer ${exchange.access_token}`;
      expect((await call('GET', '/api/rest/v2/controller', clientAuth)).statusCode).toBe(200);
      await ok(call('POST', '/api/v1/webhooks/', adminToken, { url: 'http://127.0.0.1:9/hook' }), 201);
      expect((await ingest(app, sensor.ingest_key.key, { readings: [{ channel: 'S1', time: '2026-11-30T12:30:00Z', value: 2500 }] })).statusCode).toBe(200);

      // The operator disables the customer: every credential stops at once, the data stays.
      const disabled = await ok(call('PATCH', `/customers/${customer.id}`, operatorAuth, { disabled: true }));
      expect(disabled).toMatchObject({ disabled: true, disabled_at: '2026-11-30T13:00:00.000Z' });
      for (const auth of [adminToken, admin, fluentAuth]) expectUnauthorized(await call('GET', '/account', auth), 'invalid_credentials', 'User inactive or deleted.');
      expect((await call('GET', '/controller/list/', fluentAuth)).statusCode).toBe(401);
      expect((await call('GET', '/api/v1/flow_sensors/', adminToken)).statusCode).toBe(401);
      expect((await call('GET', '/api/rest/v2/controller', clientAuth)).statusCode).toBe(401);
      expect((await call('POST', '/oauth/token', undefined, { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret })).statusCode).toBe(401);
      expectUnauthorized(await ingest(app, thirdKey, { readings: [] }), 'invalid_token', 'Unknown or revoked ingest key.');
      expectUnauthorized(await ingest(app, sensor.ingest_key.key, { readings: [] }), 'invalid_token', 'Unknown or revoked ingest key.');
      // The webhook's pending deliveries wait: no worker claims them while the customer is disabled.
      expect(await store.claimDeliveries(clock.now() + 86_400_000, 60_000, 100)).toEqual([]);
      // The data is kept, as the operator sees.
      const kept = await ok(call('GET', `/controllers/${registered.controller.id}`, operatorAuth));
      expect(kept.channels).toHaveLength(3);
      expect(await store.countReadings(PLATFORM_SCOPE, registered.channels[0].id)).toBe(4);

      // Enabled again: everything works as before.
      await ok(call('PATCH', `/customers/${customer.id}`, operatorAuth, { disabled: false }));
      expect((await call('GET', '/account', adminToken)).statusCode).toBe(200);
      expect((await ingest(app, thirdKey, { readings: [] })).statusCode).toBe(200);
      expect((await store.claimDeliveries(clock.now() + 86_400_000, 60_000, 100)).length).toBeGreaterThan(0);
    });

    it('a forgotten password: the reset link is mailed, works once, and the old password stops', async () => {
      const customer = await ok(call('POST', '/customers', operatorAuth, { name: 'Reset Co' }), 201);
      const invited = await ok(call('POST', '/users', operatorAuth, { email: 'sam@reset.example', customer_id: customer.id }), 201);
      const invite = /#token=(flpw_[A-Za-z0-9_-]+)/.exec(invited.set_password_link.url)![1]!;
      await ok(call('POST', '/account/set-password', undefined, { token: invite, password: 'first-password' }));

      smtp.mails.length = 0;
      expect(await ok(call('POST', '/account/password-reset', undefined, { email: 'SAM@reset.example' }), 202)).toEqual({ detail: 'If the address belongs to an account, a reset link is on its way to it.' });
      expect(await ok(call('POST', '/account/password-reset', undefined, { email: 'nobody@reset.example' }), 202)).toEqual({ detail: 'If the address belongs to an account, a reset link is on its way to it.' });
      const mail = await eventually(() => smtp.mails.find((m) => m.to === 'sam@reset.example'), 'the reset mail');
      expect(mail.raw).toMatch(/^Subject: Reset your Flowline password\r?$/m);
      const reset = /#token=(flpw_[A-Za-z0-9_-]+)/.exec(mailText(mail.raw))![1]!;
      await new Promise((r) => setTimeout(r, 200));
      expect(smtp.mails.filter((m) => m.to === 'nobody@reset.example')).toEqual([]);

      // The old password still works until the link is used; then only the new one.
      expect((await call('GET', '/account', basic('sam@reset.example', 'first-password'))).statusCode).toBe(200);
      expect(await ok(call('POST', '/account/password-link', undefined, { token: reset }))).toMatchObject({ purpose: 'reset', email: 'sam@reset.example' });
      await ok(call('POST', '/account/set-password', undefined, { token: reset, password: 'second-password' }));
      expectUnauthorized(await call('GET', '/account', basic('sam@reset.example', 'first-password')), 'invalid_credentials', 'Invalid username/password.');
      expect((await call('GET', '/account', basic('sam@reset.example', 'second-password'))).statusCode).toBe(200);

      // Changing it needs the current password.
      const sam = basic('sam@reset.example', 'second-password');
      expectNativeError(await call('PUT', '/account/password', sam, { current_password: 'wrong-password', new_password: 'third-password' }), 422, 'unprocessable');
      expect((await call('PUT', '/account/password', sam, { current_password: 'second-password', new_password: 'third-password' })).statusCode).toBe(204);
      expect((await call('GET', '/account', basic('sam@reset.example', 'third-password'))).statusCode).toBe(200);

      // A reset link expires after two hours.
      const late = await ok(call('POST', `/users/${invited.user.id}/password-link`, operatorAuth), 201);
      expect(late.set_password_link.purpose).toBe('reset');
      clock.advance(2 * 3600_000);
      const expired = /#token=(flpw_[A-Za-z0-9_-]+)/.exec(late.set_password_link.url)![1]!;
      expectNativeError(await call('POST', '/account/set-password', undefined, { token: expired, password: 'fourth-password' }), 404, 'not_found');
    });
  });
}
