import { randomBytes } from 'node:crypto';
import { AppError, ERRORS } from '../errors.js';
import type { Store } from '../store/store.js';
import { ACCESS_TOKEN_PREFIX, scopeOf, type Principal } from './auth.js';
import { digestSecret, secretMatchesDigest } from './secrets.js';
import type { Clock } from './time.js';
import type { ApiClient, Role } from './types.js';

/**
 * OAuth2 client credentials for the Fluxx face: an admin makes a client (id + secret, the
 * secret shown once and stored as a digest); the client exchanges them at /oauth/token for a
 * bearer token that lives two hours and acts for the client's customer on every face.
 */

export const ACCESS_TOKEN_SECONDS = 7200;
const CLIENT_ID_PREFIX = 'flc_';

/** OAuth's own error body: `{"error": "invalid_client", "error_description": "…"}`. */
export class OAuthError extends AppError {
  readonly oauthError: string;
  constructor(status: number, oauthError: string, description: string) {
    super(status, status === 401 ? 'invalid_credentials' : 'invalid_request', description);
    this.oauthError = oauthError;
  }
}

function adminOf(principal: Principal): { customerId: number; userId: number | null } {
  if (principal.role !== 'admin') throw ERRORS.forbidden('Only admins manage API clients.');
  if (principal.customerId === null) throw ERRORS.invalidRequest('Platform operators belong to no customer; an admin of the customer makes its API clients.');
  return { customerId: principal.customerId, userId: principal.kind === 'user' ? principal.userId : null };
}

export async function createApiClient(store: Store, principal: Principal, input: { name: string; role?: Role }): Promise<{ client: ApiClient; secret: string }> {
  // A two-hour token must not be able to mint lasting credentials for itself.
  if (principal.kind !== 'user') throw ERRORS.forbidden('API clients are made by an admin user, not by another API client.');
  const { customerId, userId } = adminOf(principal);
  const secret = randomBytes(32).toString('base64url');
  const client = await store.createApiClient(scopeOf(principal), {
    customerId,
    name: input.name,
    clientId: `${CLIENT_ID_PREFIX}${randomBytes(12).toString('base64url')}`,
    secretHash: digestSecret(secret),
    role: input.role ?? 'user',
    createdBy: userId,
  });
  return { client, secret };
}

export async function listApiClients(store: Store, principal: Principal): Promise<ApiClient[]> {
  adminOf(principal);
  return store.listApiClients(scopeOf(principal));
}

export async function deleteApiClient(store: Store, principal: Principal, id: number): Promise<void> {
  adminOf(principal);
  if (!(await store.deleteApiClient(scopeOf(principal), id))) throw ERRORS.notFound('API client');
}

export async function exchangeClientCredentials(
  store: Store,
  clock: Clock,
  input: { grantType: unknown; clientId: unknown; clientSecret: unknown },
): Promise<{ access_token: string; token_type: 'bearer'; expires_in: number }> {
  if (input.grantType !== 'client_credentials') {
    throw input.grantType === undefined || input.grantType === ''
      ? new OAuthError(400, 'invalid_request', 'grant_type is required (client_credentials).')
      : new OAuthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
  }
  if (typeof input.clientId !== 'string' || typeof input.clientSecret !== 'string' || input.clientId === '' || input.clientSecret === '') {
    throw new OAuthError(401, 'invalid_client', 'client_id and client_secret are required.');
  }
  const client = await store.findApiClientCredentials(input.clientId);
  // Compare even when the client is unknown, so timing does not tell which ids exist.
  const matches = secretMatchesDigest(input.clientSecret, client?.secretHash ?? digestSecret(''));
  if (!client || !matches) throw new OAuthError(401, 'invalid_client', 'Client authentication failed: unknown client or wrong secret.');
  const token = `${ACCESS_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = clock.now();
  await store.storeAccessToken(client.id, digestSecret(token), now + ACCESS_TOKEN_SECONDS * 1000, now);
  return { access_token: token, token_type: 'bearer', expires_in: ACCESS_TOKEN_SECONDS };
}
