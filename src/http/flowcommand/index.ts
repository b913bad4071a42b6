import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Store } from '../../store/store.js';
import type { FaceGuardFactory } from '../../ratelimit/setup.js';
import { errorHandler, type ErrorRenderer } from '../plugins/error-handler.js';
import type { EndpointServices } from '../../domain/webhook-endpoints.js';
import { flowSensorRoutes } from './flow-sensors.js';
import { webhookRoutes } from './webhooks.js';

/**
 * Django REST Framework's envelope: `{"detail": "…"}`. A missing or foreign record is exactly
 * "Not found." whatever the service called it, so existence never leaks.
 */
export const renderDetailError: ErrorRenderer = (error) => ({
  detail: error.code === 'not_found' ? 'Not found.' : error.message,
});

/** The FlowCommand face, mounted at /api/v1 (seed 002). */
export const flowCommandFace: FastifyPluginAsyncTypebox<{ store: Store; guard: FaceGuardFactory; webhooks: EndpointServices }> = async (
  app,
  { store, guard, webhooks },
) => {
  app.setErrorHandler(errorHandler(renderDetailError));
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ detail: 'Not found.' }));
  // Django REST Framework's throttling message, which FlowCommand clients see.
  app.addHook('onRequest', guard('flowcommand', (seconds) => `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.`));
  await app.register(flowSensorRoutes, { store });
  await app.register(webhookRoutes, { services: webhooks });
};
