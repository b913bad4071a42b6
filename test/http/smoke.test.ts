import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, basic } from '../helpers/app.js';
import { createTenant, type TenantFixture } from '../helpers/fixtures.js';
import { storeFactories } from '../helpers/stores.js';

for (const factory of storeFactories()) {
  describe.skipIf(factory.skipReason !== null)(`${factory.name}: server smoke`, () => {
    let app: FastifyInstance;
    let drop: () => Promise<void>;
    let acme: TenantFixture;

    beforeAll(async () => {
      const created = await factory.create();
      drop = created.drop;
      acme = await createTenant(created.store, 'Acme');
      app = await buildTestApp(created.store);
    });
    afterAll(async () => {
      await app?.close();
      await drop?.();
    });

    it('answers health and readiness', async () => {
      expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ready', store: factory.name });
    });

    it('ingests a batch and serves it back', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/ingest/v1/readings',
        headers: { authorization: `Bearer ${acme.ingestKey}` },
        payload: { readings: [{ channel: 'S11', time: '2026-11-24T07:00:00Z', value: 1500.5 }] },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ stored: 1, duplicates: 0 });
      const read = await app.inject({
        url: `/api/flowline/v1/channels/${acme.channels.s11.id}/readings`,
        headers: { authorization: basic(acme.user.email, acme.user.token) },
      });
      expect(read.statusCode).toBe(200);
      expect(read.json().readings).toEqual([{ id: expect.any(Number), time: '2026-11-24T07:00:00.000Z', value: 1500.5 }]);
    });
  });
}
