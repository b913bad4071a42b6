import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERRORS, isAppError, type ErrorCode } from '../../errors.js';
import { isStoreUnavailable, STORE_RETRY_AFTER_SECONDS } from '../../store/unavailable.js';
import { NAMED_PATTERNS } from '../schemas/common.js';

/**
 * Turns anything thrown while serving a request into an AppError: ours pass through,
 * Fastify's own 4xx (validation, body too large, bad JSON, wrong content type) keep their
 * status with a readable message, and anything else is a 500 whose text is not shown.
 */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const e = error as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (e.validation) {
    const first = Array.isArray(e.validation) ? (e.validation[0] as { keyword?: string; params?: { additionalProperty?: unknown } } | undefined) : undefined;
    // Ajv does not name the property it refused; a client needs to know which one.
    const extra = first?.keyword === 'additionalProperties' && typeof first.params?.additionalProperty === 'string' ? `: "${first.params.additionalProperty}"` : '';
    const message = `${e.validationContext ?? 'request'}${(e.message ?? '').replace(/^(body|querystring|params|headers)/, '')}${extra}`;
    return new AppError(400, 'invalid_request', readablePattern(message), e.validation);
  }
  // A database that is down, saturated or past its statement timeout: retry later, not a fault of ours to hide.
  if (isStoreUnavailable(error)) return ERRORS.storeUnavailable(STORE_RETRY_AFTER_SECONDS);
  // Text PostgreSQL cannot store (a NUL byte, an invalid sequence) is bad input, not a server fault.
  if ((e as { code?: unknown }).code === '22021' || (e as { code?: unknown }).code === '22P05') {
    return new AppError(400, 'invalid_request', 'The request contains characters that cannot be stored.');
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code: ErrorCode = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : 'invalid_request';
    return new AppError(status, code, e.message ?? 'Bad request.');
  }
  return new AppError(500, 'internal', 'Internal Server Error');
}

/**
 * Ajv names a failed pattern by the regular expression itself; where a pattern is one of
 * ours with a name, say what was expected instead.
 */
function readablePattern(message: string): string {
  return message.replace(/must match pattern "(.*)"$/, (whole, pattern: string) => {
    const name = NAMED_PATTERNS.get(pattern);
    return name ? `must be ${name}` : whole;
  });
}

export type ErrorRenderer = (error: AppError, request: FastifyRequest) => unknown;

/** Flowline's own envelope, used by ingest, account and health routes. */
export const renderNativeError: ErrorRenderer = (error) => ({ error: { code: error.code, message: error.message } });

export function errorHandler(render: ErrorRenderer) {
  return function handleError(this: unknown, error: unknown, request: FastifyRequest, reply: FastifyReply) {
    const appError = toAppError(error);
    if (appError.status === 503) request.log.warn({ err: error }, appError.message);
    else if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: appError.code, status: appError.status }, appError.message);
    if (appError.status === 401) reply.header('WWW-Authenticate', 'Token');
    if (appError.retryAfterSeconds !== undefined) reply.header('Retry-After', appError.retryAfterSeconds);
    return reply.status(appError.status).send(render(appError, request));
  };
}
