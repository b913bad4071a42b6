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

function counterOver(store: LibraryStore): RateCounter {
  return {
    hit: (key, windowMs, max) => call(store, 'incr', key, windowMs, max),
    peek: (key, windowMs, max) => call(store, 'read', key, windowMs, max),
  };
}

/**
 * One process's counters. The LRU forgets the least recently seen key beyond `maxKeys`, and a
 * forgotten key starts again from zero, so it is sized for every client and IP of a window.
 */
export function memoryRateCounter(maxKeys = 100_000): RateCounter {
  return counterOver(new LocalStore(false, false, maxKeys));
}

/** Counters shared by every server process that uses the same Redis and prefix. */
export function redisRateCounter(redis: Redis, prefix = 'flowline:rl:'): RateCounter {
  return counterOver(new RedisStore(false, false, redis, prefix));
}
