import type { FastifyRequest } from 'fastify';
import type { Credentials, Principal } from '../../domain/auth.js';
import type { Scope } from '../../domain/scope.js';
import { ERRORS } from '../../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The caller's tenant scope; every store call on tenant data goes through it. */
    readonly scope: Scope;
  }
}

/**
 * Parses `Authorization` the way Django REST Framework does (FlowCommand clients see its
 * exact messages): `Token x`, `Bearer x` or `Basic base64(user:secret)`. No header, or a
 * scheme we do not know, means no credentials were provided.
 */
export function parseAuthorization(header: string | undefined): Credentials | null {
  if (header === undefined || header.trim() === '') return null;
  const parts = header.trim().split(/\s+/);
  const scheme = parts[0]!.toLowerCase();
  if (scheme === 'token' || scheme === 'bearer') {
    if (parts.length === 1) throw ERRORS.malformedAuthorization('Invalid token header. No credentials provided.');
    if (parts.length > 2) throw ERRORS.malformedAuthorization('Invalid token header. Token string should not contain spaces.');
    return { scheme: 'token', token: parts[1]! };
  }
  if (scheme === 'basic') {
    if (parts.length === 1) throw ERRORS.malformedAuthorization('Invalid basic header. No credentials provided.');
    if (parts.length > 2) throw ERRORS.malformedAuthorization('Invalid basic header. Credentials string should not contain spaces.');
    const encoded = parts[1]!;
    const decoded = /^[A-Za-z0-9+/]*={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 0) throw ERRORS.malformedAuthorization('Invalid basic header. Credentials not correctly base64 encoded.');
    return { scheme: 'basic', username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  return null;
}

/** The authenticated caller; a route reached without one fails closed (401). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw ERRORS.notAuthenticated();
  return request.principal;
}
