import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../generated/openapi';

/** The header the server checks on every state-changing call made with the session cookie. */
export const CSRF_HEADER = 'X-CSRF-Token';

let csrfToken: string | null = null;

/** Set from the session (sign-in answer or GET /session); sent with every non-GET call. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !SAFE_METHODS.has(request.method)) request.headers.set(CSRF_HEADER, csrfToken);
    return request;
  },
};

/**
 * The one typed client of the web app: every path, parameter and body is typed from the
 * server's OpenAPI document (web/src/generated/openapi.d.ts). The session cookie travels
 * with every call (same origin); no token is ever kept in the browser.
 */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(csrf);

/** An error any face may answer, reduced to one readable line. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The message in any face's error envelope (Flowline, FlowCommand `detail`, Fluent, Fluxx). */
export function errorMessage(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const nested = b.error;
    if (nested && typeof nested === 'object' && typeof (nested as Record<string, unknown>).message === 'string') return (nested as { message: string }).message;
    if (typeof b.detail === 'string') return b.detail;
    if (typeof b.message === 'string') return b.message;
    if (typeof b.error_description === 'string') return b.error_description;
    if (typeof b.error === 'string') return b.error;
    // DRF field errors: { field: ["message"] }
    const first = Object.entries(b).find(([, v]) => Array.isArray(v) && typeof v[0] === 'string');
    if (first) return `${first[0]}: ${(first[1] as string[])[0]}`;
  }
  if (status === 0) return 'The server cannot be reached. Check your connection and try again.';
  return `The server answered ${status}.`;
}

/**
 * Unwraps an openapi-fetch result: the data, or an ApiError with the face's message.
 * `await must(api.GET('/api/flowline/v1/account'))`.
 */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, errorMessage(null, 0), null);
  }
  if (!result.response.ok) throw new ApiError(result.response.status, errorMessage(result.error, result.response.status), result.error);
  return result.data as T;
}
