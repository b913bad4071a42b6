import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
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
  async ping(db) {
    await sql`select 1`.execute(db);
  },
};

export function openSqlite(file: string): Kysely<Database> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SqliteDatabase(file);
  database.pragma('journal_mode = WAL');
  // FULL: an ingest batch is acknowledged only once it survives power loss, not just a process crash.
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}
