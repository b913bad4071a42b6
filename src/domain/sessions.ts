import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Store } from '../store/store.js';
import { userPrincipalOf, type UserPrincipal } from './auth.js';
import { burnPasswordCheck, digestSecret, verifyPassword } from './secrets.js';
import type { Clock } from './time.js';

/**
 * Web-app sessions: a random token in an HttpOnly cookie, only its digest in the store, so
 * every server process on the same store accepts it and deleting the row ends it everywhere.
 */

export const SESSION_COOKIE = 'flowline_session';
/** A session unused this long ends (a browser left open over night signs in again). */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** However active, a session ends this long after sign-in. */
export const SESSION_ABSOLUTE_MS = 30 * 24 * 60 * 60 * 1000;
/** A user keeps at most this many sessions (browsers): signing in once more ends the oldest. */
export const SESSIONS_PER_USER = 20;
/** `last_used_at` is written at most this often per session, not on every request. */
export const SESSION_TOUCH_MS = 60 * 1000;

/** Session tokens start so (API tokens are UUIDs, access tokens `flat_`, ingest keys `flik_`). */
const SESSION_TOKEN_PREFIX = 'fls_';

export const ERRORS_SESSION = {
  /** One answer for an unknown address and a wrong password, so it reveals no accounts. */
  wrongCredentials: () => new AppError(401, 'invalid_credentials', 'Wrong e-mail address or password.'),
  ended: () => new AppError(401, 'not_authenticated', 'Your session has ended: sign in again.'),
  csrf: () => new AppError(403, 'forbidden', 'Missing or wrong X-CSRF-Token header: reload the page and try again.'),
} as const;

export function newSessionToken(): string {
  return SESSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The CSRF token of a session, derived from its secret token (HMAC), so nothing more is
 * stored; a page on another site can neither read the cookie nor compute it.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('flowline csrf v1').digest('base64url');
}

/** Constant-time check of a presented CSRF token. */
export function csrfTokenMatches(sessionToken: string, presented: string | undefined): boolean {
  if (typeof presented !== 'string' || presented === '') return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const actual = Buffer.from(presented);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export interface SessionPrincipal extends UserPrincipal {
  method: 'session';
  sessionId: number;
}

export interface StartedSession {
  token: string;
  csrfToken: string;
  principal: SessionPrincipal;
  expiresAt: number;
}

/**
 * Checks an e-mail and password (never an API token) and opens a session. An unknown address
 * costs a password check too, and answers as a wrong password does.
 */
export async function signIn(
  store: Store,
  clock: Clock,
  email: string,
  password: string,
  options: { beforePasswordCheck?: (userId: number | null) => Promise<void> } = {},
): Promise<StartedSession> {
  const user = email.length <= 254 ? await store.findUserCredentialsByEmail(email) : null;
  await options.beforePasswordCheck?.(user?.id ?? null);
  if (!user) {
    await burnPasswordCheck(password);
    throw ERRORS_SESSION.wrongCredentials();
  }
  if (!(await verifyPassword(password, user.passwordHash))) throw ERRORS_SESSION.wrongCredentials();
  // A disabled user who knows the password learns that the account is disabled: it reveals nothing.
  const principal = userPrincipalOf(user, 'password');
  const token = newSessionToken();
  const at = clock.now();
  const expiresAt = at + SESSION_ABSOLUTE_MS;
  // Only while the verified password is still the user's: a password change (or a link redeemed)
  // between the check and here ended the user's sessions, and must end this one too.
  const session = await store.createSession({ userId: user.id, tokenHash: digestSecret(token), passwordHash: user.passwordHash, at, expiresAt, idleSince: at - SESSION_IDLE_MS, maxPerUser: SESSIONS_PER_USER });
  if (!session) throw ERRORS_SESSION.wrongCredentials();
  return { token, csrfToken: csrfTokenFor(token), principal: { ...principal, method: 'session', sessionId: session.id }, expiresAt };
}

/**
 * The principal of a session cookie; 401 when the session is unknown, expired or idle too
 * long, and the inactive-user 401 when the user or their customer has been disabled since.
 */
export async function resolveSession(store: Store, clock: Clock, token: string): Promise<SessionPrincipal> {
  const now = clock.now();
  const found = token.length <= 200 ? await store.findActiveSession(digestSecret(token), now, now - SESSION_IDLE_MS) : null;
  if (!found) throw ERRORS_SESSION.ended();
  const principal = userPrincipalOf(found.user, 'password');
  if (now - found.session.lastUsedAt >= SESSION_TOUCH_MS) await store.touchSession(found.session.id, now);
  return { ...principal, method: 'session', sessionId: found.session.id };
}

export async function endSession(store: Store, principal: SessionPrincipal): Promise<void> {
  await store.deleteSession(principal.sessionId);
}

/** Reads one cookie from a Cookie header (RFC 6265 syntax; the first of duplicates wins). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}
