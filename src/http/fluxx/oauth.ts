import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createApiClient, deleteApiClient, exchangeClientCredentials, listApiClients, OAuthError } from '../../domain/api-clients.js';
import { formatIsoSeconds, type Clock } from '../../domain/time.js';
import type { ApiClient } from '../../domain/types.js';
import type { FaceGuardFactory } from '../../ratelimit/setup.js';
import type { Store } from '../../store/store.js';
import { principalOf } from '../plugins/auth.js';
import { errorHandler, type ErrorRenderer } from '../plugins/error-handler.js';
import { mergeParams } from '../../fluxx/params.js';
import { ErrorSchema, fluxxThrottled, registerBodyParsers, renderFluxxError } from './index.js';

/**
 * `/oauth/token` (client credentials, in any of the four encodings Fluxx clients use) and
 * `/oauth/applications` (an admin's API clients), at the server root as on Fluxx.
 */

const renderOAuthError: ErrorRenderer = (error, request) =>
  error instanceof OAuthError ? { error: error.oauthError, error_description: error.message } : renderFluxxError(error, request);

const ClientSchema = Type.Object({ id: Type.Integer(), name: Type.String(), client_id: Type.String(), role: Type.String(), created_at: Type.String() });
const clientJson = (c: ApiClient) => ({ id: c.id, name: c.name, client_id: c.clientId, role: c.role, created_at: formatIsoSeconds(c.createdAt) });
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 429: ErrorSchema } as const;

export const oauthRoutes: FastifyPluginAsyncTypebox<{ store: Store; guard: FaceGuardFactory; clock: Clock }> = async (app, { store, guard, clock }) => {
  app.setErrorHandler(errorHandler(renderOAuthError));
  await registerBodyParsers(app);
  app.addHook('onRequest', guard('fluxx', fluxxThrottled));

  app.post(
    '/oauth/token',
    {
      config: { rateClass: 'public' },
      schema: {
        tags: ['fluxx'],
        operationId: 'fluxx.token',
        summary: 'Exchange client credentials for a two-hour bearer token',
        description: '`grant_type=client_credentials`, `client_id`, `client_secret` as a form, multipart fields, a query string or JSON.',
        security: [],
        response: {
          200: Type.Object({ access_token: Type.String(), token_type: Type.Literal('bearer'), expires_in: Type.Integer() }),
          400: Type.Object({ error: Type.String(), error_description: Type.String() }),
          401: Type.Object({ error: Type.String(), error_description: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      const raw = mergeParams(request.query, request.body);
      const token = await exchangeClientCredentials(store, clock, { grantType: raw.grant_type, clientId: raw.client_id, clientSecret: raw.client_secret });
      return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send(token);
    },
  );

  app.get(
    '/oauth/applications',
    { schema: { tags: ['fluxx'], operationId: 'fluxx.applications.list', summary: "Your customer's API clients (admins)", response: { 200: Type.Object({ applications: Type.Array(ClientSchema) }), ...errors } } },
    async (request) => ({ applications: (await listApiClients(store, principalOf(request))).map(clientJson) }),
  );

  app.post(
    '/oauth/applications',
    {
      schema: {
        tags: ['fluxx'],
        operationId: 'fluxx.applications.create',
        summary: 'Make an API client (admins); its secret is shown only now',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000]*$' }), role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin')])) }, { additionalProperties: false }),
        response: { 201: Type.Object({ ...ClientSchema.properties, client_secret: Type.String() }), ...errors },
      },
    },
    async (request, reply) => {
      const { client, secret } = await createApiClient(store, principalOf(request), request.body);
      return reply.status(201).send({ ...clientJson(client), client_secret: secret });
    },
  );

  app.delete(
    '/oauth/applications/:id',
    {
      schema: {
        tags: ['fluxx'],
        operationId: 'fluxx.applications.delete',
        summary: 'Remove an API client; its tokens stop working at once',
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteApiClient(store, principalOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
};
