import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Nullable } from '../schemas/common.js';
import type { Store } from '../../store/store.js';

const HealthSchema = Type.Object({ status: Type.String() });
const ReadySchema = Type.Object({ status: Type.String(), store: Type.String(), migration: Nullable(Type.String()) });

const liveRouteSchema = {
  tags: ['health'],
  operationId: 'health.live',
  summary: 'Liveness: the process answers',
  response: { 200: HealthSchema },
};

const readyRouteSchema = {
  tags: ['health'],
  operationId: 'health.ready',
  summary: 'Readiness: the store is reachable and fully migrated',
  response: {
    200: { ...ReadySchema, description: 'Ready to serve data' },
    503: { ...ReadySchema, description: 'The store is unreachable or has migrations pending' },
  },
};

/** Liveness says the process answers; readiness says it can serve data (store reachable and migrated). */
export const healthRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get('/healthz', { schema: liveRouteSchema }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: readyRouteSchema }, async (_request, reply) => {
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
