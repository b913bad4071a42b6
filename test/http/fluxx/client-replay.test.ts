import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, manualClock } from '../../helpers/app.js';
import { createTenant, type TenantFixture } from '../../helpers/fixtures.js';
import { storeFactories, type TestStore } from '../../helpers/stores.js';

/**
 * A Fluxx client as the public ones are written (Python requests style, over real HTTP): get a
 * token from /oauth/token with a form, send JSON-string parameters as form fields, check the
 * status like raise_for_status and look for the `error` key, page until the last page.
 */

const NOW = Date.parse('2026-11-25T15:30:00Z');

class FluxxClient {
  #token: string | null = null;
  constructor(
    readonly base: string,
    readonly clientId: string,
    readonly secret: string,
  ) {}

  async #fetchToken(): Promise<string> {
    const res = await fetch(`${this.base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.clientId, client_secret: this.secret }),
    });
    if (!res.ok) throw new Error(`token: HTTP ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  /** POST form fields; JSON-valued ones as JSON text. A 401 fetches a new token once. */
  async call(method: string, path: string, params: Record<string, unknown> = {}, retried = false): Promise<{ status: number; body: unknown }> {
    this.#token ??= await this.#fetchToken();
    const form = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    const res = await fetch(`${this.base}/api/rest/v2/${path}${method === 'GET' ? `?${form}` : ''}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(method === 'GET' ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
      ...(method === 'GET' ? {} : { body: form }),
    });
    if (res.status === 401 && !retried) {
      this.#token = null;
      return this.call(method, path, params, true);
    }
    return { status: res.status, body: await res.json() };
  }
}

const sqlite = storeFactories().find((f) => f.name === 'sqlite')!;

describe.skipIf(sqlite.skipReason !== null)('a Fluxx client, replayed over HTTP', () => {
  let store: TestStore;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let t: TenantFixture;
  let client: FluxxClient;

  beforeAll(async () => {
    ({ store, drop } = await sqlite.create({ now: () => NOW }));
    await store.migrate();
    t = await createTenant(store, 'Replay');
    app = await buildTestApp(store, manualClock(NOW));
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const made = await app.inject({ method: 'POST', url: '/oauth/applications', headers: { authorization: `Bearer ${t.admin.token}` }, payload: { name: 'sync script', role: 'admin' } });
    const { client_id, client_secret } = made.json() as { client_id: string; client_secret: string };
    client = new FluxxClient(base, client_id, client_secret);
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await drop?.();
  });

  it('creates records with form-encoded data and cols, pages through them, updates, filters and deletes', async () => {
    const ids: number[] = [];
    for (let i = 1; i <= 7; i++) {
      const res = await client.call('POST', 'facility', { data: { name: `Site ${i}`, latitude: 30 + i }, cols: ['name', 'latitude'] });
      expect(res.status).toBe(201);
      expect(res.body).not.toHaveProperty('error');
      ids.push((res.body as { facility: { id: number } }).facility.id);
    }
    // Page until current_page reaches total_pages, as the scripts do.
    const seen: string[] = [];
    let page = 1;
    for (;;) {
      const res = await client.call('POST', 'facility/list', { page, per_page: 3, cols: ['name'], sort: ['id', 'asc'], style: 'compact' });
      const body = res.body as { records: { facility: { name: string }[] }; total_pages: number; total_entries: number; current_page: number; per_page: number };
      expect([res.status, body.total_entries, body.per_page, body.current_page]).toEqual([200, 8, 3, page]);
      seen.push(...body.records.facility.map((r) => r.name));
      if (body.current_page >= body.total_pages) break;
      page += 1;
    }
    expect(seen).toEqual([t.facility.name, ...ids.map((_, i) => `Site ${i + 1}`)]);
    // Past the last page: an empty page, not an error.
    const past = await client.call('GET', 'facility', { page: 4, per_page: 3 });
    expect(past.body).toMatchObject({ records: { facility: [] }, total_pages: 3, current_page: 4 });
    const max = await client.call('GET', 'facility', { per_page: 500 });
    expect(max.status).toBe(200);
    const over = await client.call('GET', 'facility', { per_page: 501 });
    expect(over.status).toBe(400);
    expect(over.body).toHaveProperty('error');

    const updated = await client.call('PUT', `facility/${ids[0]}`, { data: { name: 'Site One' }, cols: ['name'] });
    expect(updated.body).toEqual({ facility: { id: ids[0], name: 'Site One' } });
    const filtered = await client.call('GET', 'facility', { filter: { group_type: 'or', conditions: [['name', 'starts_with', 'site o'], ['latitude', 'gte', 37]] }, cols: ['name'] });
    expect((filtered.body as { records: { facility: { name: string }[] } }).records.facility.map((r) => r.name).sort()).toEqual(['Site 7', 'Site One']);
    const deleted = await client.call('DELETE', `facility/${ids[6]}`);
    expect([deleted.status, deleted.body]).toEqual([200, true]);
    const missing = await client.call('GET', `facility/${ids[6]}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 404, message: `facility ${ids[6]} not found.` } });
  });
});
