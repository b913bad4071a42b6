import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { authenticate, type Principal } from '../domain/auth.js';
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
     * means `default`. `public` routes need no credentials and are counted per IP.
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

  const count = async (request: FastifyRequest, reply: FastifyReply, budget: Budget, increment: boolean): Promise<boolean> => {
    let window: RateWindow;
    try {
      window = increment
        ? await counter.hit(budget.key, budget.policy.windowMs, budget.policy.max)
        : await counter.peek(budget.key, budget.policy.windowMs, budget.policy.max);
    } catch (error) {
      // A shared store that is down must not take the API with it: admit, say so in the log,
      // and still send the headers clients depend on (the whole budget, as nothing was counted).
      request.log.warn({ err: error, face }, 'rate-limit store unavailable; request admitted uncounted');
      setHeaders(reply, budget.policy, { count: 0, ttlMs: 0 });
      return false;
    }
    setHeaders(reply, budget.policy, window);
    const exceeded = increment ? window.count > budget.policy.max : window.count >= budget.policy.max;
    if (exceeded) {
      const seconds = resetSeconds(budget.policy, window);
      reply.header('Retry-After', seconds);
      throw new AppError(429, 'rate_limited', options.throttledMessage(seconds));
    }
    return true;
  };

  return async function guard(request, reply) {
    const routeClass = request.routeOptions.config.rateClass ?? 'default';
    const ip = clientAddress(request.ip);
    if (routeClass === 'public') {
      await count(request, reply, { key: `${face}:public:ip:${ip}`, policy: policies.public }, true);
      return;
    }
    const anonymous: Budget = { key: `${face}:anonymous:ip:${ip}`, policy: policies.anonymous };
    // An IP that has used up its failures is refused before its credentials cost anything.
    await count(request, reply, anonymous, false);
    // A password check (scrypt) is reserved atomically against the failure budget, so that
    // concurrent guesses cannot all pass the peek above, and given back when it succeeds.
    // Token checks are a digest lookup and need no reservation.
    let reserved = false;
    let principal: Principal;
    try {
      const credentials = parseAuthorization(request.headers.authorization);
      if (!credentials) throw ERRORS.notAuthenticated();
      principal = await authenticate(store, credentials, {
        now: options.clock.now(),
        beforePasswordCheck: async () => {
          reserved = await count(request, reply, anonymous, true);
        },
      });
    } catch (error) {
      if (!reserved && !(error instanceof AppError && error.status === 429)) await count(request, reply, anonymous, true);
      throw error;
    }
    if (reserved) await counter.release(anonymous.key).catch((error: unknown) => request.log.warn({ err: error, face }, 'rate-limit store unavailable'));
    request.principal = principal;
    const policy = policies[routeClass] ?? policies.default;
    await count(request, reply, { key: `${face}:${routeClass}:${clientKey(principal)}`, policy }, true);
  };
}
