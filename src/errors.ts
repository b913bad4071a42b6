/**
 * Errors carry an HTTP status, a stable machine code and a human message. Services throw
 * them; each API face renders them in its own envelope (see http/plugins/error-handler.ts).
 */
export type ErrorCode =
  | 'not_authenticated'
  | 'invalid_token'
  | 'invalid_credentials'
  | 'malformed_authorization'
  | 'password_required'
  | 'forbidden'
  | 'not_found'
  | 'invalid_page'
  | 'invalid_request'
  | 'unprocessable'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Seconds after which the client may retry; sent as `Retry-After` (503s). */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: ErrorCode, message: string, details?: unknown, retryAfterSeconds?: number) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const ERRORS = {
  notAuthenticated: () => new AppError(401, 'not_authenticated', 'Authentication credentials were not provided.'),
  invalidToken: () => new AppError(401, 'invalid_token', 'Invalid token.'),
  invalidCredentials: () => new AppError(401, 'invalid_credentials', 'Invalid username/password.'),
  malformedAuthorization: (message: string) => new AppError(401, 'malformed_authorization', message),
  inactiveUser: () => new AppError(401, 'invalid_credentials', 'User inactive or deleted.'),
  invalidIngestKey: () => new AppError(401, 'invalid_token', 'Unknown or revoked ingest key.'),
  passwordRequired: () =>
    new AppError(403, 'password_required', 'This action needs your password (HTTP Basic with e-mail and password), not an API token.'),
  forbidden: (message = 'You do not have permission to perform this action.') => new AppError(403, 'forbidden', message),
  notFound: (what = 'Resource') => new AppError(404, 'not_found', `${what} not found.`),
  invalidRequest: (message: string, details?: unknown) => new AppError(400, 'invalid_request', message, details),
  unprocessable: (message: string, details?: unknown) => new AppError(422, 'unprocessable', message, details),
  conflict: (message: string) => new AppError(409, 'conflict', message),
  unavailable: (message: string, retryAfterSeconds?: number) => new AppError(503, 'unavailable', message, undefined, retryAfterSeconds),
  storeUnavailable: (retryAfterSeconds: number) =>
    new AppError(503, 'unavailable', 'The database is not answering right now. Try again shortly.', undefined, retryAfterSeconds),
} as const;

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
