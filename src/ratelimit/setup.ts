import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Clock } from '../domain/time.js';
import type { Store } from '../store/store.js';
import { memoryRateCounter, redisRateCounter, type RateCounter } from './counter.js';
import { rateLimitedAuthentication, signInThrottle, type SignInThrottle } from './guard.js';
import { parseRateLimits, type FaceName } from './policy.js';

/** The Flowline API's wording of a 429. */
export const FLOWLINE_THROTTLED = (seconds: number) => `Rate limit exceeded. Try again in ${seconds} seconds.`;

/** Builds a face's rate-limited authentication hook, given the face's wording of a 429. */
export type FaceGuardFactory = (face: FaceName, throttledMessage: (seconds: number) => string) => onRequestAsyncHookHandler;

/**
 * The app's one rate limiter: Redis when `REDIS_URL` is set (every server process shares each
 * client's budget), otherwise memory. A counter passed in (tests) wins over both.
 */
export interface RateLimiting {
  guard: FaceGuardFactory;
  /** The per-account budgets of failed passwords (`flowline.signin_account` per IP, `flowline.signin_account_all`). */
  signIn: SignInThrottle;
}

export async function setUpRateLimiting(app: FastifyInstance, config: Config, store: Store, clock: Clock, counter?: RateCounter): Promise<RateLimiting> {
  const policies = parseRateLimits(config.rateLimits);
  let chosen = counter;
  if (!chosen && config.redisUrl) {
    // Fail fast instead of queueing: with ioredis' defaults a request waits ~10 s for a Redis
    // that is down. Here a counting error costs ~1 ms and the guard admits the request.
    const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    redis.on('error', (error: Error) => app.log.warn({ err: error }, 'redis connection error'));
    await redis.connect().catch((error: unknown) => app.log.warn({ err: error }, 'redis unreachable at startup; rate limits are not counted until it answers'));
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
    chosen = redisRateCounter(redis);
  }
  const counting = chosen ?? memoryRateCounter();
  const accounts = signInThrottle({ perIp: policies.flowline.signin_account!, all: policies.flowline.signin_account_all!, counter: counting, throttledMessage: FLOWLINE_THROTTLED });
  return {
    guard: (face, throttledMessage) => rateLimitedAuthentication({ face, policies: policies[face], counter: counting, store, clock, throttledMessage, accounts }),
    signIn: accounts,
  };
}
