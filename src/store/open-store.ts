import { KyselyStore } from './kysely-store.js';
import { openPostgres, postgresDialect } from './dialects/postgres.js';
import { openSqlite, sqliteDialect } from './dialects/sqlite.js';
import type { Store } from './store.js';

export type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/**
 * `postgres://…` / `postgresql://…` selects PostgreSQL; `sqlite:<path>`, `file:<path>` or a
 * bare path selects an SQLite file (`:memory:` for a throwaway database).
 */
export function parseDatabaseUrl(url: string): StoreLocation {
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) return { kind: 'postgres', url: trimmed };
  const match = /^(?:sqlite|file):(?:\/\/)?(.*)$/i.exec(trimmed);
  const file = match ? match[1]! : trimmed;
  if (file === '') throw new Error('DATABASE_URL names no SQLite file.');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    throw new Error("DATABASE_URL is neither a postgres:// URL nor an SQLite file path (or sqlite:<path>).");
  }
  return { kind: 'sqlite', file };
}

export interface OpenStoreOptions {
  now?: () => number;
  maxConnections?: number;
}

export function openStore(url: string, options: OpenStoreOptions = {}): Store & { readonly kysely: KyselyStore['kysely'] } {
  const location = parseDatabaseUrl(url);
  if (location.kind === 'postgres') {
    return new KyselyStore(openPostgres(location.url, options.maxConnections), postgresDialect, options.now);
  }
  return new KyselyStore(openSqlite(location.file), sqliteDialect, options.now);
}
