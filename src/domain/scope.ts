/**
 * What a caller may see. Every store method over tenant data takes a scope first, so tenant
 * isolation is enforced in the store and never re-implemented per route.
 */
export interface Scope {
  /** Null only for platform operators, who see every customer. */
  readonly customerId: number | null;
}

export const PLATFORM_SCOPE: Scope = Object.freeze({ customerId: null });

export function customerScope(customerId: number): Scope {
  return Object.freeze({ customerId });
}

export function canSeeCustomer(scope: Scope, customerId: number): boolean {
  return scope.customerId === null || scope.customerId === customerId;
}
