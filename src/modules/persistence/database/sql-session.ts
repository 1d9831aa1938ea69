import type { DatabaseConfig } from '../../../config';
import { openPgConnection, pgliteConnection, SqlConnection } from '../migrations/sql-connection';
import { openPgliteStore } from './pglite-store';

export type SqlSession = SqlConnection & { close(): Promise<void> };

/**
 * One session of its own on the configured database, outside the Prisma client: the
 * operator commands (migrate, backup, restore) run their SQL over it. On PGlite it holds the
 * data directory's lock until closed.
 */
export async function openSqlSession(
  database: DatabaseConfig,
  applicationName: string,
): Promise<SqlSession> {
  if (database.kind === 'postgres') return openPgConnection(database.url, applicationName);
  const store = await openPgliteStore(database.dir);
  return { ...pgliteConnection(store.pglite), close: () => store.close() };
}
