import BetterSqlite from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, sql, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from '../schema.js';
import type { StoreDialect } from './dialect.js';

export const sqliteDialect: StoreDialect = {
  name: 'sqlite',
  // INTEGER PRIMARY KEY makes the column the rowid alias; AUTOINCREMENT keeps ids of deleted rows from being reused.
  idType: 'integer',
  idColumn: (col) => col.primaryKey().autoIncrement(),
  insertChunkRows: 1000,
  supportsRowLocks: false,
  async ping(db) {
    await sql`select 1`.execute(db);
  },
  isUniqueViolation: (error) => {
    const code = (error as { code?: unknown }).code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  },
};

/**
 * SQLite does run CREATE and ALTER inside transactions; Kysely's adapter reports otherwise to
 * stay conservative. Saying so lets the migrator wrap each run in one transaction, so a
 * migration that fails midway leaves no half-created tables behind.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class FlowlineSqliteDialect extends SqliteDialect {
  override createAdapter() {
    return new TransactionalDdlSqliteAdapter();
  }
}

export function openSqlite(file: string): Kysely<Database> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new BetterSqlite(file);
  database.pragma('journal_mode = WAL');
  // FULL: an ingest batch is acknowledged only once it survives power loss, not just a process crash.
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new FlowlineSqliteDialect({ database: withStatementCache(database) }) });
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query afresh; better-sqlite3 statements are reusable, and compiling
 * SQL is a large share of a small query's time. Statements are kept by their SQL text (the
 * few shapes the store generates), least recently used first out.
 */
function withStatementCache(database: SqliteDatabase): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(text: string): SqliteStatement {
      const cached = statements.get(text);
      if (cached) statements.delete(text);
      else if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      const statement = cached ?? database.prepare(text);
      statements.set(text, statement);
      return statement;
    },
  };
}
