import { sql, type Kysely, type Transaction, type WhereInterface } from 'kysely';
import { ERRORS } from '../errors.js';
import type { Scope } from '../domain/scope.js';
import type { StoreDialect } from './dialects/dialect.js';
import type { Database } from './schema.js';

/** A connection or an open transaction: repository functions run on either. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** What every repository is built from. */
export interface RepositoryContext {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
  readonly now: () => number;
}

/**
 * Limits a query to the scope's customer (a no-op for platform operators). Every tenant query
 * goes through this one function; the column is `customer_id` unless the table is joined.
 */
export function inScope<Q>(query: Q, scope: Scope, column = 'customer_id'): Q {
  if (scope.customerId === null) return query;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (query as unknown as WhereInterface<any, any>).where(sql.ref(column), '=', scope.customerId) as unknown as Q;
}

/**
 * Limits a query on a channel's rows (readings, rollups) to a channel the scope can see, in
 * the same statement: one round trip instead of a visibility query before each read.
 */
export function channelInScope<Q>(query: Q, scope: Scope, channelId: number): Q {
  if (scope.customerId === null) return query;
  const customerId = scope.customerId;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (query as unknown as WhereInterface<Database, any>).where((eb) =>
    eb.exists(eb.selectFrom('channels').select('channels.id').where('channels.id', '=', channelId).where('channels.customer_id', '=', customerId)),
  ) as unknown as Q;
}

/** Runs a write, turning a unique-key violation (also from a concurrent writer) into a 409. */
export async function uniqueOrConflict<T>(dialect: StoreDialect, conflictMessage: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (dialect.isUniqueViolation(error)) throw ERRORS.conflict(conflictMessage);
    throw error;
  }
}
