import type { SqlConnection } from '../migrations/sql-connection';

/** Names of the migrations applied to the database, in order; none before its first migration. */
export async function appliedMigrationNames(db: SqlConnection): Promise<string[]> {
  const [{ present }] = await db.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  );
  if (!present) return [];
  const rows = await db.query<{ name: string }>(
    'SELECT "name" FROM "schema_migrations" ORDER BY "name"',
  );
  return rows.map((row) => row.name);
}
