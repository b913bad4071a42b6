import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { regenerateOwnToken } from '../../domain/accounts.js';
import type { Clock } from '../../domain/time.js';
import { formatIsoMillis } from '../../domain/time.js';
import { ERRORS } from '../../errors.js';
import { principalOf } from '../plugins/auth.js';
import type { Store } from '../../store/store.js';
import { IsoTimeSchema, nativeErrors, Nullable } from '../schemas/common.js';

const AccountSchema = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('user')]),
  customer_id: Nullable(Type.Integer()),
  has_api_token: Type.Boolean(),
  api_token_created_at: Nullable(IsoTimeSchema),
  api_terms_accepted_at: Nullable(IsoTimeSchema),
});

const TokenSchema = Type.Object({
  token: Type.String({ description: 'Shown once; only a hash is kept. Regenerating it revokes the previous token.' }),
  created_at: IsoTimeSchema,
  terms_accepted_at: IsoTimeSchema,
});

const isoOrNull = (ms: number | null) => (ms === null ? null : formatIsoMillis(ms));

/** "My Account": who am I, and (with a password login) generate a new API token. */
export const accountRoutes: FastifyPluginAsyncTypebox<{ store: Store; clock: Clock }> = async (app, { store, clock }) => {
  app.get(
    '/account',
    { schema: { tags: ['account'], operationId: 'account.get', summary: 'The signed-in account', response: { 200: AccountSchema, ...nativeErrors } } },
    async (request) => {
      const principal = principalOf(request);
      if (principal.kind !== 'user') throw ERRORS.forbidden('API clients have no account.');
      const user = await store.getUser(request.scope, principal.userId);
      if (!user) throw ERRORS.notFound('User');
      return {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        customer_id: user.customerId,
        has_api_token: user.hasApiToken,
        api_token_created_at: isoOrNull(user.apiTokenCreatedAt),
        api_terms_accepted_at: isoOrNull(user.apiTermsAcceptedAt),
      };
    },
  );

  app.post(
    '/account/token',
    {
      schema: {
        tags: ['account'],
        operationId: 'account.regenerateToken',
        summary: 'Generate a new API token, revoking the previous one',
        description: 'Needs HTTP Basic with e-mail and password. The first token accepts the API terms (`accept_terms: true`); the acceptance is recorded once, with its time.',
        security: [{ basicAuth: [] }],
        body: Type.Object({ accept_terms: Type.Optional(Type.Boolean({ description: 'Needed (true) for the first token: generating it accepts the API terms, once.' })) }),
        response: { 201: TokenSchema, ...nativeErrors },
      },
    },
    async (request, reply) => {
      const issued = await regenerateOwnToken(store, request.principal!, request.body.accept_terms, clock);
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({
        token: issued.token,
        created_at: formatIsoMillis(issued.createdAt),
        terms_accepted_at: formatIsoMillis(issued.termsAcceptedAt),
      });
    },
  );
};
