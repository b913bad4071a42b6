import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

/**
 * Counting is @fastify/rate-limit's: its LRU store in memory, or its Redis store, whose
 * Lua script increments and sets the expiry in one atomic step (no read-then-write), so
 * concurrent requests on any number of server processes never over-admit. We use only its
 * stores: its route hooks cannot count failed logins or share one budget across a route
 * class (see docs/research/rate-limit.md).
 */

/** A fixed window's state after (or, for a peek, without) counting a request. */
export interface RateWindow {
  count: number;
  /** Milliseconds until the window resets; 0 when no window is open. */
  ttlMs: number;
}

export interface RateCounter {
  hit(key: string, windowMs: number, max: number): Promise<RateWindow>;
  peek(key: string, windowMs: number, max: number): Promise<RateWindow>;
  /** Gives back one request that `hit` counted in the window still open (a reservation that was not needed). */
  release(key: string): Promise<void>;
}

type Callback = (error: Error | null, result: { current: number; ttl: number } | null) => void;
interface LibraryStore {
  incr(key: string, callback: Callback, windowMs: number, max: number): void;
  read(key: string, callback: Callback, windowMs: number, max: number): void;
}
type LocalStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, cacheSize: number) => LibraryStore;
type RedisStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, prefix: string) => LibraryStore;

// The stores are CommonJS modules of the package without type declarations of their own.
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as LocalStoreCtor;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as RedisStoreCtor;

function call(store: LibraryStore, method: 'incr' | 'read', key: string, windowMs: number, max: number): Promise<RateWindow> {
  return new Promise((resolve, reject) => {
    store[method](
      key,
      (error, result) => (error || !result ? reject(error ?? new Error('rate-limit store answered nothing')) : resolve({ count: result.current, ttlMs: Math.max(0, result.ttl) })),
      windowMs,
      max,
    );
  });
}

function counterOver(store: LibraryStore, release: (key: string) => Promise<void>): RateCounter {
  return {
    release,
    hit: (key, windowMs, max) => call(store, 'incr', key, windowMs, max),
    peek: (key, windowMs, max) => call(store, 'read', key, windowMs, max),
  };
}

/**
 * One process's counters. The LRU forgets the least recently seen key beyond `maxKeys`, and a
 * forgotten key starts again from zero, so it is sized for every client and IP of a window.
 */
export function memoryRateCounter(maxKeys = 100_000): RateCounter {
  const store = new LocalStore(false, false, maxKeys);
  // The store has no decrement; its LRU holds the live window objects (tests pin this).
  const lru = (store as unknown as { lru: { get(key: string): { current: number } | undefined } }).lru;
  return counterOver(store, async (key) => {
    const window = lru.get(key);
    if (window && window.current > 0) window.current -= 1;
  });
}

/** Counters shared by every server process that uses the same Redis and prefix. */
export function redisRateCounter(redis: Redis, prefix = 'flowline:rl:'): RateCounter {
  return counterOver(new RedisStore(false, false, redis, prefix), async (key) => {
    await redis.eval("if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then return redis.call('DECR', KEYS[1]) end return 0", 1, prefix + key);
  });
}
