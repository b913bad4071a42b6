import { expect } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** Shared helpers for the HTTP suites (not a test file itself). */

export const API = '/api/flowline/v1';

/** Asserts Flowline's native error envelope, exactly, with the given status. */
export function expectNativeError(res: LightMyRequestResponse, status: number, code: string, message?: string | RegExp): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  if (typeof message === 'string') expect(body.error.message).toBe(message);
  else if (message) expect(body.error.message).toMatch(message);
}

/** A 401 as every face must answer it: native envelope plus `WWW-Authenticate: Token`. */
export function expectUnauthorized(res: LightMyRequestResponse, code: string, message: string): void {
  expectNativeError(res, 401, code, message);
  expect(res.headers['www-authenticate']).toBe('Token');
}

export function ingest(app: FastifyInstance, key: string | undefined, payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/ingest/v1/readings',
    headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
    ...(typeof payload === 'string' ? { payload } : { payload: payload as object }),
  });
}

/** Every route of the app as `METHOD path`, parsed from printRoutes (HEAD is Fastify's automatic twin of GET). */
export function registeredRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (method !== 'HEAD') out.push(`${method} ${path}`);
    }
  }
  return out.sort();
}
