import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  cookieValue,
  csrfTokenFor,
  csrfTokenMatches,
  endSession,
  ERRORS_SESSION,
  resolveSession,
  SESSION_ABSOLUTE_MS,
  SESSION_COOKIE,
  signIn,
  type SessionPrincipal,
} from '../../domain/sessions.js';
import type { Clock } from '../../domain/time.js';
import { AppError } from '../../errors.js';
import type { SignInThrottle } from '../../ratelimit/guard.js';
import type { Store } from '../../store/store.js';
import { NativeErrorSchema, nativeErrors, Nullable } from '../schemas/common.js';
import { AccountSchema, accountJson } from './account.js';

const SessionSchema = Type.Object({
  account: AccountSchema,
  csrf_token: Type.String({ description: 'Send it as `X-CSRF-Token` with every request that changes something (any method but GET, HEAD, OPTIONS).' }),
});

/** GET /session: the same, or both null when signed out (no cookie, or one whose session has ended). */
const CurrentSessionSchema = Type.Object({
  account: Nullable(AccountSchema),
  csrf_token: Nullable(Type.String({ description: 'Send it as `X-CSRF-Token` with every request that changes something; null when signed out.' })),
});

const CredentialsSchema = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

const sessionErrors = { ...nativeErrors, 429: NativeErrorSchema } as const;

export interface SessionRouteOptions {
  store: Store;
  clock: Clock;
  throttle: SignInThrottle;
  /** PUBLIC_URL is https: the cookie is Secure whatever the request came over. */
  httpsPublicUrl: boolean;
}

/**
 * The web app's sign-in: e-mail and password open a session held in the store; its token
 * rides in the `flowline_session` cookie (HttpOnly, SameSite=Lax, Path=/, Secure behind TLS).
 */
export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRouteOptions> = async (app, { store, clock, throttle, httpsPublicUrl }) => {
  const secure = (request: FastifyRequest) => httpsPublicUrl || request.protocol === 'https';
  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number) =>
    reply.header(
      'Set-Cookie',
      `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure(request) ? '; Secure' : ''}`,
    );

  const endPrevious = async (token: string) => {
    try {
      await endSession(store, await resolveSession(store, clock, token));
    } catch (error) {
      if (!(error instanceof AppError && error.status === 401)) throw error;
    }
  };

  app.post(
    '/session',
    {
      // Counted per IP (`flowline.signin`), and per account by the throttle below.
      config: { rateClass: 'signin' },
      schema: {
        tags: ['session'],
        operationId: 'session.create',
        summary: 'Sign in with e-mail and password: sets the session cookie',
        description:
          'Answers the account and the CSRF token, and sets `flowline_session`. A wrong address and a wrong password get the same 401. Throttled per IP and per account (429 with Retry-After).',
        security: [],
        body: CredentialsSchema,
        response: { 201: SessionSchema, ...sessionErrors },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const started = await signIn(store, clock, email, password, { beforePasswordCheck: () => throttle.reserve(request, reply, email) });
      // A successful sign-in gives back its reservation: only failures use up the account's budget.
      await throttle.release(request, email);
      // The session this browser held before (another account's, perhaps) ends: one cookie, one session.
      const previous = cookieValue(request.headers.cookie, SESSION_COOKIE);
      if (previous) await endPrevious(previous);
      setCookie(request, reply, started.token, Math.floor(SESSION_ABSOLUTE_MS / 1000));
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send({ account: await accountJson(store, started.principal), csrf_token: started.csrfToken });
    },
  );

  app.get(
    '/session',
    {
      // Every page of the web app asks this first, signed in or not: counted per IP in the
      // generous `public` class, never as a failed login (a signed-out visitor is no guesser).
      config: { rateClass: 'public' },
      schema: {
        tags: ['session'],
        operationId: 'session.get',
        summary: 'The signed-in account of this session, and its CSRF token',
        description:
          'Signed out (no cookie, or a session that has ended: the cookie is then cleared), answers 200 with `account` and `csrf_token` null. A request with an Authorization header is no session: 401.',
        security: [],
        response: { 200: CurrentSessionSchema, ...sessionErrors },
      },
    },
    async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      if (request.headers.authorization !== undefined && request.headers.authorization.trim() !== '') {
        throw new AppError(401, 'not_authenticated', 'No web-app session: sign in with POST /session (this request came with an Authorization header).');
      }
      const signedOut = { account: null, csrf_token: null };
      const token = cookieValue(request.headers.cookie, SESSION_COOKIE);
      if (token === undefined) return signedOut;
      let principal: SessionPrincipal;
      try {
        principal = await resolveSession(store, clock, token);
      } catch (error) {
        // Ended, forged, or a disabled user's: signed out, and the dead cookie goes.
        if (!(error instanceof AppError && error.status === 401)) throw error;
        setCookie(request, reply, '', 0);
        return signedOut;
      }
      return { account: await accountJson(store, principal), csrf_token: csrfTokenFor(token) };
    },
  );

  app.delete(
    '/session',
    {
      config: { rateClass: 'public' },
      schema: {
        tags: ['session'],
        operationId: 'session.delete',
        summary: 'Sign out: ends the session everywhere and clears the cookie',
        description: 'Needs the `X-CSRF-Token` of a live session; without a live session it only clears the cookie (204 either way).',
        security: [],
        response: { 204: Type.Null(), ...sessionErrors },
      },
    },
    async (request, reply) => {
      const token = cookieValue(request.headers.cookie, SESSION_COOKIE);
      if (token) {
        let principal: SessionPrincipal | null = null;
        try {
          principal = await resolveSession(store, clock, token);
        } catch (error) {
          // An ended session, or a disabled user's: nothing left to end but the cookie.
          if (!(error instanceof AppError && error.status === 401)) throw error;
        }
        if (principal) {
          const presented = request.headers['x-csrf-token'];
          if (!csrfTokenMatches(token, typeof presented === 'string' ? presented : undefined)) throw ERRORS_SESSION.csrf();
          await endSession(store, principal);
        }
      }
      setCookie(request, reply, '', 0);
      return reply.status(204).send(null);
    },
  );
};
