import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../helpers/stores.js';
import { API, expectNativeError, ingest } from './support.js';

/** The alarm history filters the dashboard's alarms page uses: controller, severity, time range, active. */
describe.each(storeFactories())('GET /alarms filters ($name)', (factory) => {
  let app: FastifyInstance;
  let store: TestStore;
  let drop: (() => Promise<void>) | undefined;
  let a: TenantFixture;
  let b: TenantFixture;

  const list = async (t: TenantFixture, query: string) => {
    const res = await app.inject({ url: `${API}/alarms${query}`, headers: { authorization: `Token ${t.user.token}` } });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json().alarms as { code: number; severity: string; controller_id: number; cleared_at: string | null }[]).map((x) => x.code);
  };

  beforeAll(async () => {
    if (factory.skipReason) return;
    ({ store, drop } = await factory.create());
    await store.migrate();
    app = await buildTestApp(store);
    a = await createTenant(store, 'Alarm Filters A');
    b = await createTenant(store, 'Alarm Filters B');
    const alarms = [
      { event: 'raise', code: 1, severity: 'info', message: 'one', time: '2026-11-20T10:00:00Z' },
      { event: 'raise', code: 2, severity: 'warning', message: 'two', time: '2026-11-21T10:00:00Z', channel: 'S11' },
      { event: 'raise', code: 3, severity: 'critical', message: 'three', time: '2026-11-22T10:00:00Z' },
      { event: 'clear', code: 1, time: '2026-11-23T10:00:00Z' },
    ];
    expect((await ingest(app, a.ingestKey, { alarms })).statusCode).toBe(200);
    expect((await ingest(app, b.ingestKey, { alarms: [{ event: 'raise', code: 9, severity: 'critical', time: '2026-11-22T10:00:00Z' }] })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await drop?.();
  });

  it.skipIf(factory.skipReason)('filters by severity, active, time range and controller, newest first', async () => {
    expect(await list(a, '')).toEqual([3, 2, 1]);
    expect(await list(a, '?severity=critical')).toEqual([3]);
    expect(await list(a, '?severity=info')).toEqual([1]);
    expect(await list(a, '?active=true')).toEqual([3, 2]);
    expect(await list(a, '?active=true&severity=info')).toEqual([]);
    expect(await list(a, '?from=2026-11-21T00:00:00Z')).toEqual([3, 2]);
    expect(await list(a, '?to=2026-11-21T10:00:00Z')).toEqual([1]);
    expect(await list(a, '?from=2026-11-21T10:00:00Z&to=2026-11-22T10:00:00Z')).toEqual([2]);
    expect(await list(a, `?controller_id=${a.controller.id}`)).toEqual([3, 2, 1]);
  });

  it.skipIf(factory.skipReason)("another customer's controller has no alarms for you (not an error that says it exists)", async () => {
    expect(await list(a, `?controller_id=${b.controller.id}`)).toEqual([]);
    expect(await list(a, '?controller_id=999999999')).toEqual([]);
    expect(await list(b, '')).toEqual([9]);
  });

  it.skipIf(factory.skipReason)('refuses malformed filters with a 400', async () => {
    const get = (q: string) => app.inject({ url: `${API}/alarms${q}`, headers: { authorization: `Token ${a.user.token}` } });
    expectNativeError(await get('?severity=loud'), 400, 'invalid_request');
    expectNativeError(await get('?from=yesterday'), 400, 'invalid_request');
    expectNativeError(await get('?controller_id=0'), 400, 'invalid_request');
    expectNativeError(await get('?from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z'), 400, 'invalid_request', /reversed/);
  });
});
