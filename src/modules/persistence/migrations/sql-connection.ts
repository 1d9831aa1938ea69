import type { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';

/** One database session: what the migration runner needs, on PostgreSQL or PGlite alike. */
export interface SqlConnection {
  query<Row extends object>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (no parameters). */
  exec(script: string): Promise<void>;
}

export const PG_CONNECT_TIMEOUT_MS = 10_000;

export function pgliteConnection(pglite: PGlite): SqlConnection {
  return {
    query: async <Row extends object>(sql: string, params?: unknown[]) =>
      (await pglite.query<Row>(sql, params)).rows,
    exec: async (script) => {
      await pglite.exec(script);
    },
  };
}

/** A dedicated PostgreSQL session (advisory locks are held per session, so no pool). */
export async function openPgConnection(
  url: string,
  applicationName = 'vireo-migrate',
): Promise<SqlConnection & { close(): Promise<void> }> {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    application_name: applicationName,
  });
  // Without a listener, a dropped connection would crash the process instead of failing the query.
  client.on('error', () => undefined);
  await client.connect();
  return {
    query: async <Row extends object>(sql: string, params?: unknown[]) =>
      (await client.query<Row>(sql, params)).rows,
    exec: async (script) => {
      await client.query(script);
    },
    close: () => client.end(),
  };
}
