import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Nullable } from '../schemas/common.js';
import type { Store } from '../../store/store.js';

const HealthSchema = Type.Object({ status: Type.String() });
const ReadySchema = Type.Object({ status: Type.String(), store: Type.String(), migration: Nullable(Type.String()) });

/** Liveness says the process answers; readiness says it can serve data (store reachable and migrated). */
export const healthRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get('/healthz', { schema: { hide: true, response: { 200: HealthSchema } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true, response: { 200: ReadySchema, 503: ReadySchema } } }, async (_request, reply) => {
    try {
      await store.ping();
      const migration = await store.currentMigration();
      const ready = migration === store.latestMigration();
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'migrations pending', store: store.dialect, migration });
    } catch {
      return reply.status(503).send({ status: 'store unreachable', store: store.dialect, migration: null });
    }
  });
};
