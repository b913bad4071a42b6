import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Clock } from '../../domain/time.js';
import type { FaceGuardFactory } from '../../ratelimit/setup.js';
import { ERRORS } from '../../errors.js';
import type { Store } from '../../store/store.js';
import { serverVersion } from '../../version.js';
import { errorHandler, type ErrorRenderer } from '../plugins/error-handler.js';
import type { EndpointServices } from '../../domain/webhook-endpoints.js';
import { fluentControllerRoutes } from './controllers.js';
import { fluentSubscriptionRoutes } from './subscriptions.js';
import { fluentErrors, VersionSchema } from './schemas.js';

/** The version of the Walchem Fluent Client API this face implements (seed 000). */
export const FLUENT_API_VERSION = '1.0.0';

/** Fluent's envelope: clients test `'error' in body`, so every failure has that key. */
export const renderFluentError: ErrorRenderer = (error) => ({ error: error.message });

/** Path prefixes of the Fluent face, which hangs off the server root as the real service does. */
export const FLUENT_PATH_PREFIXES = ['/controller', '/subscription', '/version'];

/** The Fluent face (seed 000), at the server root: `controller/…`, `version`. */
export const fluentFace: FastifyPluginAsyncTypebox<{ store: Store; guard: FaceGuardFactory; clock: Clock; webhooks: EndpointServices }> = async (
  app,
  { store, guard, clock, webhooks },
) => {
  app.setErrorHandler(errorHandler(renderFluentError));
  app.addHook('onRequest', guard('fluent', (seconds) => `Rate limit exceeded: try again in ${seconds} seconds.`));
  await app.register(fluentControllerRoutes, { store, clock });
  await app.register(fluentSubscriptionRoutes, { services: webhooks });
  // Any other path under the face is still the face's: a Fluent 404, counted and with the
  // rate-limit headers that clients read on every answer.
  for (const prefix of ['/controller', '/subscription']) {
    await app.register(
      async (scoped) => {
        scoped.setNotFoundHandler(async (request) => {
          throw ERRORS.notFound(`Route ${request.method} ${request.url.split('?')[0]}`);
        });
      },
      { prefix },
    );
  }

  const version = serverVersion();
  app.get(
    '/version',
    {
      config: { rateClass: 'public' },
      schema: {
        tags: ['version'],
        operationId: 'fluent.version',
        summary: 'Versions of this API and of the server',
        security: [],
        response: { 200: VersionSchema, 429: fluentErrors[429] },
      },
    },
    async () => ({ 'api-version': FLUENT_API_VERSION, 'server-version': version.version, build: version.build }),
  );
};
