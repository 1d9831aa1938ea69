import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface Migration {
  /** The directory name, `<14-digit timestamp>_<name>`; migrations apply in name order. */
  name: string;
  sql: string;
  /** SHA-256 of the SQL (line endings normalised), recorded when applied. */
  checksum: string;
}

/** `prisma/migrations` at the project root: the same path from `src/` and from `dist/`. */
export const MIGRATIONS_DIR = resolve(__dirname, '../../../../prisma/migrations');

const MIGRATION_NAME = /^\d{14}_[a-z0-9_]+$/;

/** Reads `<dir>/<name>/migration.sql` for every migration directory, in the order to apply them. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const misnamed = names.find((name) => !MIGRATION_NAME.test(name));
  if (misnamed) {
    throw new Error(`Migration directory "${misnamed}" is not named <YYYYMMDDHHMMSS>_<name>`);
  }
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: migrationChecksum(sql) };
    }),
  );
}

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}
