import { createHash } from 'node:crypto';
import type { SqlConnection } from '../migrations/sql-connection';
import { quoteIdent, TableShape } from './table-catalog';

const FETCH_ROWS = 500;

/**
 * Makes the server's JSON text of a row the same on every server and session: timestamps in
 * UTC, floats shortest-exact, bytea as hex. Inside a transaction (SET LOCAL).
 */
export const STABLE_TEXT_SETTINGS =
  "SET LOCAL TimeZone = 'UTC'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'";

/**
 * Each row of `columns` of `table` as one line of JSON, written by the server itself
 * (`row_to_json`), in the table's stable order. `json_populate_recordset` reads these lines
 * back into the same typed values, so a table restored from them dumps to the same lines.
 */
export function readTableLines(
  db: SqlConnection,
  table: TableShape,
  columns = table.columns,
): AsyncGenerator<string> {
  const selected = columns.map(quoteIdent).join(', ');
  return fetchLines(
    db,
    `SELECT row_to_json(r)::text AS line FROM (SELECT ${selected} FROM ${quoteIdent(table.name)}) r ` +
      `ORDER BY ${table.orderBy}`,
  );
}

/** Reads a query's `line` column through a cursor, so a large table never sits in memory. */
async function* fetchLines(db: SqlConnection, sql: string): AsyncGenerator<string> {
  await db.exec(`DECLARE vireo_lines NO SCROLL CURSOR FOR ${sql}`);
  try {
    for (;;) {
      const rows = await db.query<{ line: string }>(`FETCH FORWARD ${FETCH_ROWS} FROM vireo_lines`);
      for (const row of rows) yield row.line;
      if (rows.length < FETCH_ROWS) return;
    }
  } finally {
    // Fails only in an aborted transaction, whose own error is the one to report.
    await db.exec('CLOSE vireo_lines').catch(() => undefined);
  }
}

/** Row count and SHA-256 of a table's lines (each followed by `\n`), as a backup records them. */
export class RowDigest {
  private readonly hash = createHash('sha256');
  rows = 0;

  add(line: string): void {
    this.hash.update(line).update('\n');
    this.rows += 1;
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}
