import { ERRORS } from '../errors.js';
import type { Store } from '../store/store.js';
import { burnPasswordCheck, digestSecret, secretMatchesDigest, verifyPassword } from './secrets.js';
import { customerScope, PLATFORM_SCOPE, type Scope } from './scope.js';
import type { Role, UserCredentials } from './types.js';

/** What a request presented, once the Authorization header has been parsed. */
export type Credentials =
  | { scheme: 'token'; token: string }
  | { scheme: 'basic'; username: string; secret: string };

/** Who is calling, and how they proved it: a user, or an API client of the Fluxx face. */
export type Principal = UserPrincipal | ClientPrincipal;

export interface UserPrincipal {
  kind: 'user';
  userId: number;
  email: string;
  role: Role;
  customerId: number | null;
  /** A platform operator: sees every customer (customerId is null). */
  operator: boolean;
  /**
   * A password login, or a web-app session opened with one, may manage the account
   * (regenerate the token); a token may not.
   */
  method: 'token' | 'password' | 'session';
  /** The web-app session the request came with (method `session`). */
  sessionId?: number;
}

export interface ClientPrincipal {
  kind: 'client';
  clientId: number;
  name: string;
  role: Role;
  customerId: number;
  method: 'access_token';
}

/** Access tokens of API clients start so; users' API tokens are UUIDs. */
export const ACCESS_TOKEN_PREFIX = 'flat_';

export function scopeOf(principal: Principal): Scope {
  return principal.customerId === null ? PLATFORM_SCOPE : customerScope(principal.customerId);
}

/**
 * The principal of a user whose credentials matched. A disabled user, a user of a disabled
 * customer, and (failing closed) a user with no customer who is not an operator are refused
 * with DRF's message for inactive users: they proved who they are, so it reveals nothing.
 */
export function userPrincipalOf(user: UserCredentials, method: UserPrincipal['method']): UserPrincipal {
  if (user.disabledAt !== null || user.customerDisabledAt !== null || (user.customerId === null && !user.operator)) throw ERRORS.inactiveUser();
  return { kind: 'user', userId: user.id, email: user.email, role: user.role, customerId: user.operator ? null : user.customerId, operator: user.operator, method };
}

/**
 * Checks credentials against the user store. HTTP Basic takes the login e-mail with either
 * the password or the API token (Fluent clients send e-mail:token; FlowCommand clients send
 * username:password). Failures throw the 401 errors every face renders in its own envelope.
 */
export async function authenticate(
  store: Store,
  credentials: Credentials,
  options: {
    /** Runs before each (costly) password check, e.g. to reserve it against a failure budget; may throw to refuse. */
    beforePasswordCheck?: () => Promise<void>;
    now?: number;
  } = {},
): Promise<Principal> {
  if (credentials.scheme === 'token' && credentials.token.startsWith(ACCESS_TOKEN_PREFIX)) {
    const client = await store.findApiClientByAccessTokenHash(digestSecret(credentials.token), options.now ?? Date.now());
    if (!client) throw ERRORS.invalidToken();
    return { kind: 'client', clientId: client.id, name: client.name, role: client.role, customerId: client.customerId, method: 'access_token' };
  }
  if (credentials.scheme === 'token') {
    const user = await store.findUserCredentialsByTokenHash(digestSecret(credentials.token));
    if (!user || !user.apiTokenHash || !secretMatchesDigest(credentials.token, user.apiTokenHash)) throw ERRORS.invalidToken();
    return userPrincipalOf(user, 'token');
  }
  const user = await store.findUserCredentialsByEmail(credentials.username);
  if (!user) {
    await options.beforePasswordCheck?.();
    await burnPasswordCheck(credentials.secret);
    throw ERRORS.invalidCredentials();
  }
  if (user.apiTokenHash && secretMatchesDigest(credentials.secret, user.apiTokenHash)) return userPrincipalOf(user, 'token');
  await options.beforePasswordCheck?.();
  if (await verifyPassword(credentials.secret, user.passwordHash)) return userPrincipalOf(user, 'password');
  throw ERRORS.invalidCredentials();
}
