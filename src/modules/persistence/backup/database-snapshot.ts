import type { DatabaseConfig } from '../../../config';
import { openSqlSession, SqlSession } from '../database/sql-session';
import { appliedMigrationNames } from './applied-migrations';
import { DatabaseBackupError } from './backup-errors';
import { readTableLines, STABLE_TEXT_SETTINGS } from './row-lines';
import { readTableCatalog, TableShape } from './table-catalog';

/**
 * Every table as of one moment: a REPEATABLE READ, READ ONLY transaction sees one snapshot
 * for all its reads, however long the dump takes and whatever commits meanwhile.
 *
 * Why not pg_dump: the deployment's image need not have it (the Node base image does not),
 * its major version must match the server's, and it cannot read PGlite's data directory. One
 * SQL path serves both adapters, and its lines can be checked row for row after a restore.
 * For a large PostgreSQL, pg_dump or point-in-time recovery remain the tools (README).
 */
export class DatabaseSnapshot {
  private constructor(
    private readonly session: SqlSession,
    /** The migrations the dumped schema has, in order. */
    readonly migrations: string[],
    /** Parents before children. */
    readonly tables: TableShape[],
  ) {}

  /** On PGlite, refuses while a server holds the data directory (one process only). */
  static async open(database: DatabaseConfig): Promise<DatabaseSnapshot> {
    const session = await openSqlSession(database, 'vireo-backup');
    try {
      await session.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await session.exec(STABLE_TEXT_SETTINGS);
      const migrations = await appliedMigrationNames(session);
      if (!migrations.length) {
        throw new DatabaseBackupError(
          'Nothing to back up: the database has never been migrated (is DATABASE_URL or DATA_DIR right?)',
        );
      }
      return new DatabaseSnapshot(session, migrations, await readTableCatalog(session));
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  /** The table's rows as lines of JSON, in a stable order. */
  lines(table: TableShape): AsyncGenerator<string> {
    return readTableLines(this.session, table);
  }

  async close(): Promise<void> {
    try {
      await this.session.exec('COMMIT');
    } finally {
      await this.session.close();
    }
  }
}
