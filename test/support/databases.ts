import { PGlite } from '@electric-sql/pglite';
import { cp, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DatabaseConfig } from '../../src/config';
import { createTestDatabase } from './postgres';

/** A fresh, empty database of one kind, and how to throw it away. */
export interface ThrowawayDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

export type DatabaseKind = DatabaseConfig['kind'];

/** Every database the platform runs on: PGlite in a temporary directory, the test PostgreSQL. */
export const DATABASE_KINDS: DatabaseKind[] = ['pglite', 'postgres'];

export async function throwawayDatabase(kind: DatabaseKind): Promise<ThrowawayDatabase> {
  if (kind === 'postgres') {
    const db = await createTestDatabase();
    return { config: { kind, url: db.url, poolSize: 5 }, drop: db.drop };
  }
  const parent = await mkdtemp(join(tmpdir(), 'vireo-pglite-'));
  const dir = join(parent, 'db');
  await copyEmptyPglite(dir);
  return { config: { kind, dir }, drop: () => rm(parent, { recursive: true, force: true }) };
}

/** Puts an initialised, empty PGlite data directory at `dir` (milliseconds, not seconds). */
export async function copyEmptyPglite(dir: string): Promise<void> {
  await cp(await emptyPgliteDir(), dir, { recursive: true });
}

let template: Promise<string> | undefined;

/**
 * An initialised, empty PGlite data directory, kept in the temp dir across runs: copying it
 * takes milliseconds where PGlite's initdb takes seconds.
 */
function emptyPgliteDir(): Promise<string> {
  template ??= (async () => {
    const packageJson = join(dirname(require.resolve('@electric-sql/pglite')), '../package.json');
    const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
    const dir = join(tmpdir(), `vireo-pglite-template-${version}`);
    if (await stat(join(dir, 'PG_VERSION')).catch(() => null)) return dir;
    const building = await mkdtemp(join(tmpdir(), 'vireo-pglite-building-'));
    await (await PGlite.create({ dataDir: building })).close();
    // Another test process may have won the race; its copy is as good as ours.
    await rename(building, dir).catch(() => rm(building, { recursive: true, force: true }));
    return dir;
  })();
  return template;
}
