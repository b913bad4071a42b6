import { ERRORS } from '../errors.js';
import { scopeOf, type Principal } from './auth.js';
import { PLATFORM_SCOPE, type Scope } from './scope.js';
import type { Role } from './types.js';

/**
 * Who is acting on onboarding and accounts, whatever the door (API, CLI, web app): the scope
 * they see, their role and whether they are a platform operator.
 */
export interface Actor {
  readonly scope: Scope;
  readonly role: Role;
  readonly operator: boolean;
  /** The acting user; null for the CLI and for API clients. */
  readonly userId: number | null;
  /** An API client (Fluxx OAuth): a two-hour token that must not mint lasting credentials for people. */
  readonly client: boolean;
}

/** The `flowline` CLI runs on the server with the database's own credentials: an operator. */
export const CLI_ACTOR: Actor = Object.freeze({ scope: PLATFORM_SCOPE, role: 'admin', operator: true, userId: null, client: false });

export function actorOf(principal: Principal): Actor {
  return {
    scope: scopeOf(principal),
    role: principal.role,
    operator: principal.kind === 'user' && principal.operator,
    userId: principal.kind === 'user' ? principal.userId : null,
    client: principal.kind === 'client',
  };
}

/**
 * Managing people (inviting, set-password links, roles, disabling) is for people: an API
 * client's token could otherwise turn itself into a lasting login, as it may not mint API
 * clients either.
 */
export function requirePerson(actor: Actor): void {
  if (actor.client) throw ERRORS.forbidden('API clients do not manage users; a person does.');
}

export function requireOperator(actor: Actor): void {
  if (!actor.operator) throw ERRORS.forbidden('Only platform operators manage customers.');
}

/** Admins manage their own customer; operators every customer. */
export function requireAdmin(actor: Actor): void {
  if (!actor.operator && actor.role !== 'admin') throw ERRORS.forbidden('Only admins make this change; users can read.');
}

/**
 * The customer a new record goes to: an admin's own (naming another is not found, as if it did
 * not exist); an operator must name one.
 */
export function targetCustomer(actor: Actor, customerId: number | undefined): number {
  if (actor.scope.customerId !== null) {
    if (customerId !== undefined && customerId !== actor.scope.customerId) throw ERRORS.notFound('Customer');
    return actor.scope.customerId;
  }
  if (customerId === undefined) throw ERRORS.invalidRequest('customer_id is required: platform operators name the customer.');
  return customerId;
}
