import { Migration } from './migration-files';
import { SqlConnection } from './sql-connection';

/** Held while migrating, so replicas booting together apply each migration once. */
export const MIGRATION_LOCK_KEY = 7_218_342_093;
const DEFAULT_LOCK_WAIT_MS = 5 * 60_000;

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS "schema_migrations" (
    "name" TEXT NOT NULL,
    "checksum" TEXT NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "schema_migrations_pkey" PRIMARY KEY ("name")
  )`;

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * Applies pending migrations under a PostgreSQL advisory lock, each in its own transaction
 * together with its row in `schema_migrations`. Refuses to run when an applied migration's
 * file has changed since. Migrations the database has but the files lack (a newer release
 * migrated it) are left alone.
 */
export class MigrationRunner {
  constructor(
    private readonly db: SqlConnection,
    private readonly migrations: readonly Migration[],
    private readonly lockWaitMs = DEFAULT_LOCK_WAIT_MS,
  ) {}

  /** Resolves with the names of the migrations this call applied. */
  async run(): Promise<string[]> {
    await this.lock();
    try {
      await this.db.exec(CREATE_MIGRATIONS_TABLE);
      const applied = await this.appliedChecksums();
      this.assertUnchanged(applied);
      const pending = this.migrations.filter((migration) => !applied.has(migration.name));
      for (const migration of pending) await this.apply(migration);
      return pending.map((migration) => migration.name);
    } finally {
      // Closing the session releases the lock too, so a failed unlock must not hide the cause.
      await this.db
        .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
        .catch(() => undefined);
    }
  }

  private async lock(): Promise<void> {
    await this.db.exec(`SET lock_timeout = ${Math.max(1, Math.round(this.lockWaitMs))}`);
    try {
      await this.db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    } catch (error) {
      throw new MigrationError(
        `Could not take the migration lock within ${this.lockWaitMs} ms: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      await this.db.exec('RESET lock_timeout');
    }
  }

  private async appliedChecksums(): Promise<Map<string, string>> {
    const rows = await this.db.query<{ name: string; checksum: string }>(
      'SELECT "name", "checksum" FROM "schema_migrations"',
    );
    return new Map(rows.map((row) => [row.name, row.checksum]));
  }

  private assertUnchanged(applied: Map<string, string>): void {
    for (const migration of this.migrations) {
      const checksum = applied.get(migration.name);
      if (checksum !== undefined && checksum !== migration.checksum) {
        throw new MigrationError(
          `Migration ${migration.name} was changed after it was applied ` +
            `(checksum ${checksum} in the database, ${migration.checksum} on disk); ` +
            'restore it and add a new migration instead',
        );
      }
    }
  }

  private async apply(migration: Migration): Promise<void> {
    await this.db.exec('BEGIN');
    try {
      await this.db.exec(migration.sql);
      await this.db.query('INSERT INTO "schema_migrations" ("name", "checksum") VALUES ($1, $2)', [
        migration.name,
        migration.checksum,
      ]);
      await this.db.exec('COMMIT');
    } catch (error) {
      await this.db.exec('ROLLBACK').catch(() => undefined);
      throw new MigrationError(`Migration ${migration.name} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
