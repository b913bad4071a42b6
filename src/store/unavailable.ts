/**
 * Whether an error means the database could not serve the query now (down, restarting,
 * saturated, or the query hit its time bound), as opposed to a fault in the request or in
 * our code. Such errors answer 503 with Retry-After in the face's envelope, and are never
 * a failed login.
 */

/** PostgreSQL SQLSTATEs of a database that cannot serve now: connection exceptions (08…), operator intervention (57…), insufficient resources (53…). */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-4]|57014|53[0-9]{3})$/;

/** Node socket errors of a connection that failed or broke. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/** SQLite: another connection holds the write lock past busy_timeout. */
const UNAVAILABLE_SQLITE = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED', 'SQLITE_INTERRUPT']);

/** What pg says when a pooled connection is lost, or none can be had in time. */
const UNAVAILABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated due to connection timeout)/;

export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code) || UNAVAILABLE_SQLITE.has(code))) return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  // AggregateError (a connection refused on every address of a host name).
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every(isStoreUnavailable);
}

/** Seconds a client is asked to wait before retrying when the database is unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 5;
