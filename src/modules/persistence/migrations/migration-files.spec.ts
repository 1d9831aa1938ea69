import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations, migrationChecksum } from './migration-files';

describe('loadMigrations', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vireo-migration-files-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const add = async (name: string, sql: string) => {
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, 'migration.sql'), sql);
  };

  it('reads migration directories in name order, ignoring loose files', async () => {
    await add('20260102000000_second', 'SELECT 2;');
    await add('20260101000000_first', 'SELECT 1;');
    await writeFile(join(dir, 'migration_lock.toml'), 'provider = "postgresql"');

    const migrations = await loadMigrations(dir);
    expect(migrations.map((m) => m.name)).toEqual([
      '20260101000000_first',
      '20260102000000_second',
    ]);
    expect(migrations[0]).toMatchObject({
      sql: 'SELECT 1;',
      checksum: migrationChecksum('SELECT 1;'),
    });
  });

  it('rejects a directory not named <timestamp>_<name>', async () => {
    await add('add_users', 'SELECT 1;');
    await expect(loadMigrations(dir)).rejects.toThrow(/"add_users" is not named/);
  });

  it('ships the first migration', async () => {
    expect((await loadMigrations())[0]?.name).toMatch(/^\d{14}_init$/);
  });
});

describe('migrationChecksum', () => {
  it('ignores line endings, so a Windows checkout does not look edited', () => {
    expect(migrationChecksum('A;\r\nB;\r\n')).toBe(migrationChecksum('A;\nB;\n'));
    expect(migrationChecksum('A;')).not.toBe(migrationChecksum('B;'));
  });
});
