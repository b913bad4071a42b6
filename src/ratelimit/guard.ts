import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { authenticate, type Principal } from '../domain/auth.js';
import { cookieValue, csrfTokenMatches, ERRORS_SESSION, resolveSession, SESSION_COOKIE } from '../domain/sessions.js';
import { digestSecret } from '../domain/secrets.js';
import { AppError, ERRORS } from '../errors.js';
import { parseAuthorization } from '../http/plugins/auth.js';
import type { Clock } from '../domain/time.js';
import type { Store } from '../store/store.js';
import type { RateCounter, RateWindow } from './counter.js';
import { clientAddress } from './ip.js';
import type { FaceName, FacePolicies, RatePolicy } from './policy.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's rate-limit class within its face (Fluxx: `list`, `get`, `write`); absent
     * means `default`. `public` (and the sign-in form's `signin`) routes need no credentials
     * and are counted per IP.
     */
    rateClass?: string;
  }
}

export interface FaceGuardOptions {
  face: FaceName;
  policies: FacePolicies;
  counter: RateCounter;
  store: Store;
  /** Access tokens expire by this clock. */
  clock: Clock;
  /** The face's own wording of a 429, given the seconds until the window resets. */
  throttledMessage: (seconds: number) => string;
  /** The per-account budgets of failed passwords, spent by HTTP Basic with a password too. */
  accounts: SignInThrottle;
}

interface Budget {
  key: string;
  policy: RatePolicy;
}

const resetSeconds = (policy: RatePolicy, window: RateWindow) => Math.ceil((window.ttlMs > 0 ? window.ttlMs : policy.windowMs) / 1000);

function setHeaders(reply: FastifyReply, policy: RatePolicy, window: RateWindow): void {
  reply.header('X-Rate-Limit-Limit', policy.max);
  reply.header('X-Rate-Limit-Remaining', Math.max(0, policy.max - window.count));
  reply.header('X-Rate-Limit-Reset', resetSeconds(policy, window));
}

/** Whose budget an authenticated request spends: the user, or the API client. */
const clientKey = (principal: Principal) => (principal.kind === 'user' ? `u:${principal.userId}` : `c:${principal.clientId}`);

/** Route classes that need no credentials, each counted per IP: `public`, and the sign-in form's `signin`. */
const UNAUTHENTICATED_CLASSES = new Set(['public', 'signin']);

/** Methods that change nothing, and so need no CSRF token with a session cookie. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type CountBudget = (request: FastifyRequest, reply: FastifyReply, budget: Budget, increment: boolean) => Promise<boolean>;

/**
 * Counts (or, without `increment`, peeks at) a budget and refuses with 429 past it; answers
 * whether the request was counted (false when the shared store is down: admitted uncounted).
 */
function budgetCounter(
  counter: RateCounter,
  face: FaceName,
  throttledMessage: (seconds: number) => string,
  /** Only a refusal shows this budget's numbers (the account budgets: the headers stay the request's own). */
  headersOnlyWhenRefused = false,
): CountBudget {
  return async (request, reply, budget, increment) => {
    let window: RateWindow;
    try {
      window = increment
        ? await counter.hit(budget.key, budget.policy.windowMs, budget.policy.max)
        : await counter.peek(budget.key, budget.policy.windowMs, budget.policy.max);
    } catch (error) {
      // A shared store that is down must not take the API with it: admit, say so in the log,
      // and still send the headers clients depend on (the whole budget, as nothing was counted).
      request.log.warn({ err: error, face }, 'rate-limit store unavailable; request admitted uncounted');
      if (!headersOnlyWhenRefused) setHeaders(reply, budget.policy, { count: 0, ttlMs: 0 });
      return false;
    }
    const exceeded = increment ? window.count > budget.policy.max : window.count >= budget.policy.max;
    if (!headersOnlyWhenRefused || exceeded) setHeaders(reply, budget.policy, window);
    if (exceeded) {
      const seconds = resetSeconds(budget.policy, window);
      reply.header('Retry-After', seconds);
      throw new AppError(429, 'rate_limited', throttledMessage(seconds));
    }
    return true;
  };
}

/**
 * Who the request is: the Authorization header's credentials, or, only when no such header
 * is sent, the web-app session cookie. A request authenticated by the cookie that changes
 * something must carry the session's CSRF token in `X-CSRF-Token` (403 otherwise).
 */
async function authenticateRequest(
  request: FastifyRequest,
  store: Store,
  clock: Clock,
  beforePasswordCheck: (username: string) => Promise<void>,
): Promise<Principal> {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    const sessionToken = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (sessionToken === undefined || sessionToken === '') throw ERRORS.notAuthenticated();
    const principal = await resolveSession(store, clock, sessionToken);
    if (!SAFE_METHODS.has(request.method)) {
      const presented = request.headers['x-csrf-token'];
      if (!csrfTokenMatches(sessionToken, typeof presented === 'string' ? presented : undefined)) throw ERRORS_SESSION.csrf();
    }
    return principal;
  }
  const credentials = parseAuthorization(header);
  if (!credentials) throw ERRORS.notAuthenticated();
  const username = credentials.scheme === 'basic' ? credentials.username : '';
  return authenticate(store, credentials, { now: clock.now(), beforePasswordCheck: () => beforePasswordCheck(username) });
}

/**
 * The one `onRequest` hook of every face: rate limiting and authentication together, because
 * neither can be right alone. Before authentication the only identity is the IP, and only
 * failures are counted against it, so a password guesser is stopped (before any scrypt work)
 * while clients behind one NAT never share a budget. After authentication the request spends
 * its client's budget for the route's class. Every answer, 401 and 429 included, carries
 * `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`: Fluent clients read them on every call.
 */
export function rateLimitedAuthentication(options: FaceGuardOptions): onRequestAsyncHookHandler {
  const { face, policies, counter, store } = options;
  const count = budgetCounter(counter, face, options.throttledMessage);

  return async function guard(request, reply) {
    const routeClass = request.routeOptions.config.rateClass ?? 'default';
    const ip = clientAddress(request.ip);
    if (UNAUTHENTICATED_CLASSES.has(routeClass)) {
      await count(request, reply, { key: `${face}:${routeClass}:ip:${ip}`, policy: policies[routeClass] ?? policies.public }, true);
      return;
    }
    const anonymous: Budget = { key: `${face}:anonymous:ip:${ip}`, policy: policies.anonymous };
    // An IP that has used up its failures is refused before its credentials cost anything.
    await count(request, reply, anonymous, false);
    // A password check (scrypt) is reserved atomically against the failure budget, so that
    // concurrent guesses cannot all pass the peek above, and given back when it succeeds.
    // Token and session checks are a digest lookup and need no reservation.
    // HTTP Basic with a password also reserves against the account's budgets (per IP and
    // account-wide), as the sign-in form does: a wrong password there is a guess all the same.
    let reserved = false;
    let accountReserved: string | null = null;
    let principal: Principal;
    try {
      principal = await authenticateRequest(request, store, options.clock, async (username) => {
        reserved = await count(request, reply, anonymous, true);
        await options.accounts.reserve(request, reply, username, options.throttledMessage);
        accountReserved = username;
      });
    } catch (error) {
      if (!reserved && !(error instanceof AppError && (error.status === 429 || error.status === 403))) await count(request, reply, anonymous, true);
      throw error;
    }
    if (reserved) await counter.release(anonymous.key).catch((error: unknown) => request.log.warn({ err: error, face }, 'rate-limit store unavailable'));
    if (accountReserved !== null) await options.accounts.release(request, accountReserved);
    request.principal = principal;
    const policy = policies[routeClass] ?? policies.default;
    await count(request, reply, { key: `${face}:${routeClass}:${clientKey(principal)}`, policy }, true);
  };
}

/**
 * The budget of failed passwords per account (on top of the `signin` class per IP), spent by
 * the sign-in form, by HTTP Basic with a password on every face, and by the checks of the
 * current password on account routes: each attempt reserves one failure before the password
 * is checked, atomically, and a right password gives it back, so only failures use it up. Two
 * budgets: `signin_account` per account **and client IP** (a guesser locks the account out of
 * their own address only), and `signin_account_all` per account across all IPs (much higher,
 * against guessing spread over many addresses). The key is a digest of the address as typed
 * (normalised), so unknown addresses are throttled alike and no address is kept in Redis.
 */
export interface SignInThrottle {
  /** Refuses with 429 (in `throttledMessage`'s words, Flowline's by default) when a budget is spent. */
  reserve(request: FastifyRequest, reply: FastifyReply, email: string, throttledMessage?: (seconds: number) => string): Promise<void>;
  release(request: FastifyRequest, email: string): Promise<void>;
}

export function signInThrottle(options: {
  perIp: RatePolicy;
  all: RatePolicy;
  counter: RateCounter;
  throttledMessage: (seconds: number) => string;
}): SignInThrottle {
  const account = (email: string) => digestSecret(email.trim().toLowerCase()).slice(0, 32);
  const keys = (request: FastifyRequest, email: string) => ({
    perIp: `flowline:signin_account:${account(email)}:ip:${clientAddress(request.ip)}`,
    all: `flowline:signin_account_all:${account(email)}`,
  });
  const giveBack = (request: FastifyRequest, key: string) =>
    options.counter.release(key).catch((error: unknown) => request.log.warn({ err: error }, 'rate-limit store unavailable'));
  return {
    async reserve(request, reply, email, throttledMessage = options.throttledMessage) {
      const count = budgetCounter(options.counter, 'flowline', throttledMessage, true);
      const { perIp, all } = keys(request, email);
      const reservedPerIp = await count(request, reply, { key: perIp, policy: options.perIp }, true);
      try {
        await count(request, reply, { key: all, policy: options.all }, true);
      } catch (error) {
        // Refused account-wide: this attempt is no failure of this IP's.
        if (reservedPerIp) await giveBack(request, perIp);
        throw error;
      }
    },
    async release(request, email) {
      const { perIp, all } = keys(request, email);
      await Promise.all([giveBack(request, perIp), giveBack(request, all)]);
    },
  };
}
