import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/domain/time.js';
import { buildApp } from '../../src/http/app.js';
import type { Store } from '../../src/store/store.js';

/**
 * A real app over a real store, exercised through `inject`; the caller closes both. `env`
 * adds configuration, e.g. `{ RATE_LIMITS: … }` for a suite that makes many requests.
 */
export async function buildTestApp(store: Store, clock?: Clock, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...env });
  const app = await buildApp({ config, store, ...(clock ? { clock } : {}) });
  await app.ready();
  return app;
}

export function basic(username: string, secret: string): string {
  return `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
}

/** A clock tests move by hand. */
export function manualClock(start = Date.parse('2026-11-24T08:00:00Z')): Clock & { set(ms: number): void; advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    set: (ms: number) => {
      now = ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}
