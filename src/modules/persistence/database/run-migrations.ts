import type { DatabaseConfig } from '../../../config';
import { loadMigrations, Migration, MIGRATIONS_DIR } from '../migrations/migration-files';
import { MigrationRunner } from '../migrations/migration-runner';
import { openPgConnection } from '../migrations/sql-connection';
import { openSqlSession } from './sql-session';

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
  const session = await openSqlSession(database, 'vireo-migrate');
  try {
    return await new MigrationRunner(session, migrations).run();
  } finally {
    await session.close();
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
