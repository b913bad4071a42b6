import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../schema.js';
import type { StoreDialect } from './dialect.js';

export const postgresDialect: StoreDialect = {
  name: 'postgres',
  idType: 'bigint',
  idColumn: (col) => col.primaryKey().generatedByDefaultAsIdentity(),
  insertChunkRows: 2000,
  supportsRowLocks: true,
  async ping(db) {
    await sql`select 1`.execute(db);
  },
  isUniqueViolation: (error) => (error as { code?: unknown }).code === '23505',
};

const INT8_OID = 20;

// Ids and epoch-millisecond times are BIGINT; they fit a JS number exactly (< 2^53), so parse
// them as numbers per pool rather than through pg's process-wide type registry.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

export function openPostgres(connectionString: string, maxConnections = 10): Kysely<Database> {
  const pool = new pg.Pool({ connectionString, max: maxConnections, types });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
