import type { ColumnDefinitionBuilder, Kysely } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/**
 * The few places where SQLite and PostgreSQL differ, stated once per dialect so that the rest
 * of the store is dialect-agnostic Kysely.
 */
export interface StoreDialect {
  readonly name: DialectName;
  /** Column type and builder for an auto-assigned integer primary key. */
  readonly idType: 'integer' | 'bigint';
  idColumn(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Rows per multi-row INSERT, kept under each engine's bound-parameter limit. */
  readonly insertChunkRows: number;
  ping(db: Kysely<unknown>): Promise<void>;
  /** Whether a driver error is a unique-constraint violation (a concurrent duplicate insert). */
  isUniqueViolation(error: unknown): boolean;
}
