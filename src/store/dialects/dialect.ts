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
  /**
   * Whether concurrent write transactions exist and need row locks (`FOR NO KEY UPDATE`).
   * SQLite has one writer at a time, so its transactions are already serialised.
   */
  readonly supportsRowLocks: boolean;
  ping(db: Kysely<unknown>): Promise<void>;
  /** Whether a driver error is a unique-constraint violation (a concurrent duplicate insert). */
  isUniqueViolation(error: unknown): boolean;
}
