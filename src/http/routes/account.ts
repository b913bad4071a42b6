import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { scopeOf, type Principal } from '../../domain/auth.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SignInThrottle } from '../../ratelimit/guard.js';
import { changeOwnPassword, inspectPasswordLink, type PasswordCheckGuard, regenerateOwnToken, requestPasswordReset, setPasswordWithLink, type LinkServices } from '../../domain/accounts.js';
import type { Clock } from '../../domain/time.js';
import { formatIsoMillis } from '../../domain/time.js';
import { ERRORS } from '../../errors.js';
import { principalOf } from '../plugins/auth.js';
import type { Store } from '../../store/store.js';
import { IsoTimeSchema, NativeErrorSchema, nativeErrors, Nullable } from '../schemas/common.js';
import { iso } from '../../wire/flowline.js';
import { LinkTokenSchema, PasswordSchema } from '../onboarding/schemas.js';

export const AccountSchema = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('user')]),
  customer_id: Nullable(Type.Integer()),
  operator: Type.Boolean(),
  has_api_token: Type.Boolean(),
  api_token_created_at: Nullable(IsoTimeSchema),
  api_terms_accepted_at: Nullable(IsoTimeSchema),
});

const TokenSchema = Type.Object({
  token: Type.String({ description: 'Shown once; only a hash is kept. Regenerating it revokes the previous token.' }),
  created_at: IsoTimeSchema,
  terms_accepted_at: IsoTimeSchema,
});


const DetailSchema = Type.Object({ detail: Type.String() });
const LinkInfoSchema = Type.Object({
  email: Type.String(),
  name: Type.String(),
  purpose: Type.Union([Type.Literal('invite'), Type.Literal('reset')]),
  expires_at: IsoTimeSchema,
});
/** The signed-in account as GET /account (and the session routes) answer it. */
export async function accountJson(store: Store, principal: Principal): Promise<Static<typeof AccountSchema>> {
  if (principal.kind !== 'user') throw ERRORS.forbidden('API clients have no account.');
  const user = await store.getUser(scopeOf(principal), principal.userId);
  if (!user) throw ERRORS.notFound('User');
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    customer_id: user.customerId,
    operator: user.operator,
    has_api_token: user.hasApiToken,
    api_token_created_at: iso(user.apiTokenCreatedAt),
    api_terms_accepted_at: iso(user.apiTermsAcceptedAt),
  };
}

/** Set-password links are redeemed without credentials: the link is the credential. Counted per IP. */
const publicRoute = { rateClass: 'public' } as const;

/**
 * "My Account": who am I, generate a new API token (with a password login), change the
 * password; and, without credentials, the set-password link flow (invitations and resets).
 */
export const accountRoutes: FastifyPluginAsyncTypebox<{ store: Store; clock: Clock; links: LinkServices; throttle: SignInThrottle }> = async (
  app,
  { store, clock, links, throttle },
) => {
  /** A check of the signed-in user's current password spends their budget of failed passwords (429 past it). */
  const passwordGuard = (request: FastifyRequest, reply: FastifyReply): PasswordCheckGuard => {
    const principal = principalOf(request);
    const email = principal.kind === 'user' ? principal.email : '';
    return { before: () => throttle.reserve(request, reply, email), after: () => throttle.release(request, email) };
  };

  app.get(
    '/account',
    { schema: { tags: ['account'], operationId: 'account.get', summary: 'The signed-in account', response: { 200: AccountSchema, ...nativeErrors } } },
    async (request) => accountJson(store, principalOf(request)),
  );

  app.post(
    '/account/token',
    {
      schema: {
        tags: ['account'],
        operationId: 'account.regenerateToken',
        summary: 'Generate a new API token, revoking the previous one',
        description:
          'Needs HTTP Basic with e-mail and password, or the web-app session (with its `X-CSRF-Token`) and the current `password`, not an API token. A wrong `password` (422) spends the account’s budget of failed passwords; past it, 429 with Retry-After. The first token accepts the API terms (`accept_terms: true`); the acceptance is recorded once, with its time.',
        security: [{ basicAuth: [] }, { cookieAuth: [] }],
        body: Type.Object({
          accept_terms: Type.Optional(Type.Boolean({ description: 'Needed (true) for the first token: generating it accepts the API terms, once.' })),
          password: Type.Optional(Type.String({ maxLength: 1024, description: 'Your current password: needed with the web-app session (HTTP Basic has already checked it).' })),
        }),
        response: { 201: TokenSchema, ...nativeErrors, 429: NativeErrorSchema },
      },
    },
    async (request, reply) => {
      const issued = await regenerateOwnToken(
        store,
        principalOf(request),
        { acceptTerms: request.body.accept_terms, password: request.body.password },
        clock,
        passwordGuard(request, reply),
      );
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({
        token: issued.token,
        created_at: formatIsoMillis(issued.createdAt),
        terms_accepted_at: formatIsoMillis(issued.termsAcceptedAt),
      });
    },
  );

  app.put(
    '/account/password',
    {
      schema: {
        tags: ['account'],
        operationId: 'account.changePassword',
        summary: 'Change your password (the current one is needed)',
        description: 'A wrong `current_password` (422) spends the account’s budget of failed passwords, as a failed sign-in does; past it, 429 with Retry-After.',
        body: Type.Object({ current_password: Type.String({ maxLength: 1024 }), new_password: PasswordSchema }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...nativeErrors, 429: NativeErrorSchema },
      },
    },
    async (request, reply) => {
      await changeOwnPassword(store, principalOf(request), request.body.current_password, request.body.new_password, passwordGuard(request, reply));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/account/password-reset',
    {
      config: publicRoute,
      schema: {
        tags: ['account'],
        operationId: 'account.requestPasswordReset',
        summary: 'Forgot your password: a reset link is e-mailed (no credentials)',
        description: 'Answers 202 whatever the address, so it reveals no accounts. Needs mail (SMTP_URL); without it, an admin makes a link (POST /users/{id}/password-link or `flowline user reset-password`).',
        security: [],
        body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 254 }) }, { additionalProperties: false }),
        response: { 202: DetailSchema, ...nativeErrors },
      },
    },
    async (request, reply) => {
      // Not awaited: the answer must take as long for an unknown address as for a real one.
      void requestPasswordReset(links, request.body.email, (error) => request.log.warn({ err: error }, 'could not e-mail a reset link')).catch((error: unknown) =>
        request.log.error({ err: error }, 'password reset request failed'),
      );
      return reply.status(202).send({ detail: 'If the address belongs to an account, a reset link is on its way to it.' });
    },
  );

  app.post(
    '/account/password-link',
    {
      config: publicRoute,
      schema: {
        tags: ['account'],
        operationId: 'account.inspectPasswordLink',
        summary: 'Whose set-password link this is, before choosing the password (no credentials)',
        security: [],
        body: Type.Object({ token: LinkTokenSchema }, { additionalProperties: false }),
        response: { 200: LinkInfoSchema, ...nativeErrors },
      },
    },
    async (request) => {
      const info = await inspectPasswordLink(store, request.body.token, clock);
      return { email: info.email, name: info.name, purpose: info.purpose, expires_at: formatIsoMillis(info.expiresAt) };
    },
  );

  app.post(
    '/account/set-password',
    {
      config: publicRoute,
      schema: {
        tags: ['account'],
        operationId: 'account.setPassword',
        summary: 'Set your password with a one-time link (no credentials)',
        description: 'The token is the `#token=` part of the link. It works once, before it expires; then log in with your e-mail and the new password.',
        security: [],
        body: Type.Object({ token: LinkTokenSchema, password: PasswordSchema }, { additionalProperties: false }),
        response: { 200: Type.Object({ email: Type.String() }), ...nativeErrors },
      },
    },
    async (request) => ({ email: (await setPasswordWithLink(store, request.body.token, request.body.password, clock)).email }),
  );
};
