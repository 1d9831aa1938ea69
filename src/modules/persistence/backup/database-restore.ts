import type { DatabaseConfig } from '../../../config';
import { openSqlSession, SqlSession } from '../database/sql-session';
import { loadMigrations, Migration } from '../migrations/migration-files';
import { MigrationRunner } from '../migrations/migration-runner';
import type { SqlConnection } from '../migrations/sql-connection';
import { appliedMigrationNames } from './applied-migrations';
import { DatabaseBackupError } from './backup-errors';
import { readTableLines, RowDigest, STABLE_TEXT_SETTINGS } from './row-lines';
import { quoteIdent, readTableCatalog, TableShape } from './table-catalog';

/** What a backup recorded of one table. */
export interface DumpedTable {
  name: string;
  columns: string[];
  rows: number;
  /** SHA-256 of the table's lines (see `RowDigest`). */
  sha256: string;
}

export interface DatabaseDump {
  /** The backup's id; a restore records it, so running the same restore again changes nothing. */
  id: string;
  /** The migrations the dumped schema had, in order. */
  migrations: string[];
  tables: DumpedTable[];
}

/** `restored`: this dump was restored into the database already (a re-run). */
export type RestoreTargetState = 'empty' | 'restored';

const RESTORED_ACTION = 'backup.restored';
const INSERT_BATCH_ROWS = 1_000;
const INSERT_BATCH_CHARS = 4 * 1024 * 1024;

/**
 * Loads a dump into a database that has no rows: migrated to the dump's schema first, rows
 * inserted and checked in one transaction (all or nothing, so a restore that died midway left
 * nothing and can simply run again), then the migrations this release adds since.
 */
export class DatabaseRestore {
  private constructor(
    private readonly session: SqlSession,
    private readonly migrations: Migration[],
  ) {}

  static async open(database: DatabaseConfig): Promise<DatabaseRestore> {
    const migrations = await loadMigrations();
    return new DatabaseRestore(await openSqlSession(database, 'vireo-restore'), migrations);
  }

  /** Refuses a database with rows (unless they are this dump's) or a schema the dump lacks. */
  async prepare(dump: DatabaseDump): Promise<RestoreTargetState> {
    const known = new Set(this.migrations.map((migration) => migration.name));
    const unknown = dump.migrations.filter((name) => !known.has(name));
    if (unknown.length) {
      throw new DatabaseBackupError(
        `The backup's schema has migrations this release does not know (${unknown.join(', ')}): ` +
          'restore it with the release that made it, or a newer one',
      );
    }
    if (await this.restoredAlready(dump.id)) return 'restored';
    const filled = await this.tablesWithRows();
    if (filled.length) {
      throw new DatabaseBackupError(
        `The target database is not empty (rows in ${filled.join(', ')}); restore only into a ` +
          'fresh deployment: a new database (DATABASE_URL) or an empty DATA_DIR',
      );
    }
    const ahead = (await appliedMigrationNames(this.session)).filter(
      (name) => !dump.migrations.includes(name),
    );
    if (ahead.length) {
      throw new DatabaseBackupError(
        `The target database is migrated past the backup's schema (${ahead.join(', ')}); ` +
          'restore into a database that has never been migrated',
      );
    }
    const last = this.migrations.findIndex(
      (migration) => migration.name === dump.migrations.at(-1),
    );
    await new MigrationRunner(this.session, this.migrations.slice(0, last + 1)).run();
    return 'empty';
  }

  /**
   * In one transaction: every table's lines (`lines(table)`), then a check that each table now
   * dumps to the rows and checksum the backup recorded, then a record of the restore.
   */
  async load(dump: DatabaseDump, lines: (table: string) => AsyncIterable<string>): Promise<void> {
    await this.session.exec('BEGIN');
    try {
      await this.session.exec(STABLE_TEXT_SETTINGS);
      const tables = matchTables(await readTableCatalog(this.session), dump.tables);
      for (const [shape, dumped] of tables) {
        await insertLines(this.session, shape.name, dumped.columns, lines(shape.name));
      }
      for (const [shape, dumped] of tables) await verifyTable(this.session, shape, dumped);
      await this.session.query(
        `INSERT INTO "audit_log" ("id", "actor_kind", "action", "target_type", "target_id", "details")
         VALUES (gen_random_uuid(), 'system', $1, 'backup', $2, $3::jsonb)`,
        [
          RESTORED_ACTION,
          dump.id,
          JSON.stringify({ rows: dump.tables.reduce((sum, table) => sum + table.rows, 0) }),
        ],
      );
      await this.session.exec('COMMIT');
    } catch (error) {
      await this.session.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Applies the migrations this release has beyond the dump's schema; resolves with their names. */
  finish(): Promise<string[]> {
    return new MigrationRunner(this.session, this.migrations).run();
  }

  close(): Promise<void> {
    return this.session.close();
  }

  private async restoredAlready(id: string): Promise<boolean> {
    const [{ present }] = await this.session.query<{ present: boolean }>(
      "SELECT to_regclass('audit_log') IS NOT NULL AS present",
    );
    if (!present) return false;
    const [{ found }] = await this.session.query<{ found: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM "audit_log" WHERE "action" = $1 AND "target_id" = $2) AS found',
      [RESTORED_ACTION, id],
    );
    return found;
  }

  private async tablesWithRows(): Promise<string[]> {
    const filled: string[] = [];
    for (const table of await readTableCatalog(this.session)) {
      const [{ found }] = await this.session.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${quoteIdent(table.name)}) AS found`,
      );
      if (found) filled.push(table.name);
    }
    return filled;
  }
}

/** The target's tables (parents first) paired with the backup's; both must have the same set. */
function matchTables(shapes: TableShape[], dumped: DumpedTable[]): [TableShape, DumpedTable][] {
  const byName = new Map(dumped.map((table) => [table.name, table]));
  const missing = shapes.filter((shape) => !byName.has(shape.name)).map((shape) => shape.name);
  const extra = dumped.filter((table) => !shapes.some((shape) => shape.name === table.name));
  if (missing.length || extra.length) {
    throw new DatabaseBackupError(
      `The backup's tables do not match the schema (missing: ${missing.join(', ') || 'none'}; ` +
        `unknown: ${extra.map((table) => table.name).join(', ') || 'none'})`,
    );
  }
  return shapes.map((shape) => [shape, byName.get(shape.name) as DumpedTable]);
}

/** The server turns each line back into typed values (`json_populate_recordset`). */
async function insertLines(
  db: SqlConnection,
  table: string,
  columns: string[],
  lines: AsyncIterable<string>,
): Promise<void> {
  const target = quoteIdent(table);
  const selected = columns.map(quoteIdent).join(', ');
  const sql =
    `INSERT INTO ${target} (${selected}) ` +
    `SELECT ${selected} FROM json_populate_recordset(NULL::${target}, $1::json)`;
  let batch: string[] = [];
  let chars = 0;
  const flush = async () => {
    if (batch.length) await db.query(sql, [`[${batch.join(',')}]`]);
    batch = [];
    chars = 0;
  };
  for await (const line of lines) {
    batch.push(line);
    chars += line.length;
    if (batch.length >= INSERT_BATCH_ROWS || chars >= INSERT_BATCH_CHARS) await flush();
  }
  await flush();
}

async function verifyTable(db: SqlConnection, shape: TableShape, dumped: DumpedTable) {
  const digest = new RowDigest();
  for await (const line of readTableLines(db, shape, dumped.columns)) digest.add(line);
  const sha256 = digest.sha256();
  if (digest.rows !== dumped.rows || sha256 !== dumped.sha256) {
    throw new DatabaseBackupError(
      `Table ${shape.name} restored as ${digest.rows} rows (sha256 ${sha256}), but the backup ` +
        `recorded ${dumped.rows} (sha256 ${dumped.sha256}); nothing was restored`,
    );
  }
}
