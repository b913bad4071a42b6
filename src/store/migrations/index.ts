import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { StoreDialect } from '../dialects/dialect.js';
import { initial } from './0001-initial.js';
import { flowRollups } from './0002-flow-rollups.js';
import { serverAlarms } from './0003-server-alarms.js';
import { webhooks } from './0004-webhooks.js';
import { apiClients } from './0005-api-clients.js';
import { onboarding } from './0006-onboarding.js';
import { sessions } from './0007-sessions.js';
import { channelRollups } from './0008-channel-rollups.js';

/**
 * Migrations are listed in code (not read from a folder) so they run the same from TypeScript
 * sources and from a build. Names sort in the order they apply; never rename or edit one that
 * has shipped: add the next.
 */
function migrationsFor(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001-initial': initial(dialect),
    '0002-flow-rollups': flowRollups(),
    '0003-server-alarms': serverAlarms(),
    '0004-webhooks': webhooks(dialect),
    '0005-api-clients': apiClients(dialect),
    '0006-onboarding': onboarding(dialect),
    '0007-sessions': sessions(dialect),
    '0008-channel-rollups': channelRollups(),
  };
}

export function createMigrator(db: Kysely<unknown>, dialect: StoreDialect): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(dialect) };
  return new Migrator({ db, provider, migrationTableName: 'flowline_migrations', migrationLockTableName: 'flowline_migrations_lock' });
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: StoreDialect): Promise<MigrationResultSet> {
  const result = await createMigrator(db, dialect).migrateToLatest();
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return result;
}

export function latestMigrationName(dialect: StoreDialect): string {
  return Object.keys(migrationsFor(dialect)).sort().at(-1) ?? '';
}
