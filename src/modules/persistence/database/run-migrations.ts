import type { DatabaseConfig } from '../../../config';
import { loadMigrations, Migration, MIGRATIONS_DIR } from '../migrations/migration-files';
import { MigrationRunner } from '../migrations/migration-runner';
import { openPgConnection, pgliteConnection } from '../migrations/sql-connection';
import { openPgliteStore } from './pglite-store';

/**
 * Applies pending migrations and disconnects (the `migrate` command). Safe to run while other
 * replicas boot on PostgreSQL; on PGlite, not while a server holds the data directory.
 * Resolves with the names of the migrations applied.
 */
export async function runMigrations(
  database: DatabaseConfig,
  migrationsDir = MIGRATIONS_DIR,
): Promise<string[]> {
  const migrations = await loadMigrations(migrationsDir);
  if (database.kind === 'postgres') return migratePostgres(database.url, migrations);
  const store = await openPgliteStore(database.dir);
  try {
    return await new MigrationRunner(pgliteConnection(store.pglite), migrations).run();
  } finally {
    await store.close();
  }
}

/** Migrates over a session of its own, closed afterwards. */
export async function migratePostgres(url: string, migrations: Migration[]): Promise<string[]> {
  const connection = await openPgConnection(url);
  try {
    return await new MigrationRunner(connection, migrations).run();
  } finally {
    await connection.close();
  }
}
