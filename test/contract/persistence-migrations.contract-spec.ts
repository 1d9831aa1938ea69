import type { RuntimeDataModel } from '@prisma/client/runtime/client';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as generatedEnums from '../../src/generated/prisma/enums';
import { DatabaseClient } from '../../src/modules/persistence/database/database-client';
import { runMigrations } from '../../src/modules/persistence/database/run-migrations';
import {
  loadMigrations,
  MIGRATIONS_DIR,
} from '../../src/modules/persistence/migrations/migration-files';
import { MigrationError } from '../../src/modules/persistence/migrations/migration-runner';
import {
  DATABASE_KINDS,
  DatabaseKind,
  throwawayDatabase,
  ThrowawayDatabase,
} from '../support/databases';

interface ColumnInfo {
  table_name: string;
  column_name: string;
  udt_name: string;
}

/** Column types each Prisma scalar type may have (String covers uuid and text arrays). */
const COLUMN_TYPES: Record<string, string[]> = {
  String: ['text', 'uuid', '_text'],
  Int: ['int4'],
  BigInt: ['int8'],
  Float: ['float8'],
  Boolean: ['bool'],
  DateTime: ['timestamptz', 'date'],
  Json: ['jsonb'],
  Bytes: ['bytea'],
};

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-migrations-'));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(join(dir, name));
  await writeFile(join(dir, name, 'migration.sql'), sql);
}

describe.each(DATABASE_KINDS)('migrations (%s)', (kind: DatabaseKind) => {
  let database: ThrowawayDatabase;
  let migrationsDir: string;

  beforeEach(async () => {
    database = await throwawayDatabase(kind);
    migrationsDir = await copyOfMigrations();
  });
  afterEach(async () => {
    await database.drop();
    await rm(migrationsDir, { recursive: true, force: true });
  });

  it('applies every migration once: a second run applies nothing', async () => {
    const all = (await loadMigrations()).map((migration) => migration.name);
    expect(await runMigrations(database.config)).toEqual(all);
    expect(await runMigrations(database.config)).toEqual([]);
  });

  it('applies only the migrations added since the last run', async () => {
    await runMigrations(database.config, migrationsDir);
    await addMigration(
      migrationsDir,
      '29990101000000_add_note',
      'ALTER TABLE "users" ADD COLUMN "note" TEXT;',
    );
    expect(await runMigrations(database.config, migrationsDir)).toEqual([
      '29990101000000_add_note',
    ]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const [first] = await loadMigrations(migrationsDir);
    await runMigrations(database.config, migrationsDir);
    await writeFile(
      join(migrationsDir, first!.name, 'migration.sql'),
      `${first!.sql}\n-- edited\n`,
    );
    await expect(runMigrations(database.config, migrationsDir)).rejects.toThrow(
      new RegExp(`${first!.name} was changed after it was applied`),
    );
  });

  it('rolls a failing migration back whole, so a fixed one can run later', async () => {
    await runMigrations(database.config, migrationsDir);
    const name = '29990101000000_broken';
    await addMigration(migrationsDir, name, 'CREATE TABLE "half_done" (id int); SELECT 1 / 0;');
    await expect(runMigrations(database.config, migrationsDir)).rejects.toBeInstanceOf(
      MigrationError,
    );

    await writeFile(
      join(migrationsDir, name, 'migration.sql'),
      'CREATE TABLE "half_done" (id int);',
    );
    expect(await runMigrations(database.config, migrationsDir)).toEqual([name]);
  });

  it('creates a table and column for every model and field of schema.prisma, and no more', async () => {
    const db = await DatabaseClient.open(database.config);
    try {
      const dataModel = (db.prisma as unknown as { _runtimeDataModel: RuntimeDataModel })
        ._runtimeDataModel;
      expect(Object.keys(dataModel.models).length).toBeGreaterThan(10);
      expect(await schemaDrift(db, dataModel)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

/** Differences between the generated client's data model and the migrated database. */
async function schemaDrift(db: DatabaseClient, dataModel: RuntimeDataModel): Promise<string[]> {
  const columns = await db.prisma.$queryRawUnsafe<ColumnInfo[]>(
    `SELECT table_name, column_name, udt_name FROM information_schema.columns
     WHERE table_schema = current_schema()`,
  );
  const enums = await db.prisma.$queryRawUnsafe<{ type: string; labels: string[] }[]>(
    `SELECT t.typname AS type, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`,
  );
  const unmatched = new Map(columns.map((c) => [`${c.table_name}.${c.column_name}`, c]));
  const enumLabels = new Map(enums.map((e) => [e.type, e.labels]));
  const problems: string[] = [];
  for (const [modelName, model] of Object.entries(dataModel.models)) {
    for (const field of model.fields.filter((f) => f.kind !== 'object')) {
      const where = `${model.dbName ?? modelName}.${field.dbName ?? field.name}`;
      const column = unmatched.get(where);
      unmatched.delete(where);
      if (!column) {
        problems.push(`${modelName}.${field.name}: no column ${where}`);
      } else if (field.kind === 'enum') {
        const values = Object.values((generatedEnums as Record<string, object>)[field.type]!);
        if (JSON.stringify(enumLabels.get(column.udt_name)) !== JSON.stringify(values)) {
          problems.push(`${modelName}.${field.name}: enum ${column.udt_name} is not [${values}]`);
        }
      } else if (!COLUMN_TYPES[field.type]?.includes(column.udt_name)) {
        problems.push(`${modelName}.${field.name}: ${field.type} stored as ${column.udt_name}`);
      }
    }
  }
  for (const where of unmatched.keys()) problems.push(`${where}: in no model of schema.prisma`);
  return problems;
}

describe('migrations on PostgreSQL, replicas booting together', () => {
  let database: ThrowawayDatabase;

  beforeEach(async () => {
    database = await throwawayDatabase('postgres');
  });
  afterEach(() => database.drop());

  it('applies each migration exactly once', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => runMigrations(database.config)));
    const all = (await loadMigrations()).map((migration) => migration.name);
    expect(runs.flat().sort()).toEqual(all);
    expect(runs.filter((applied) => applied.length > 0)).toHaveLength(1);
  });
});

describe('migrations on PGlite', () => {
  let database: ThrowawayDatabase;

  beforeEach(async () => {
    database = await throwawayDatabase('pglite');
  });
  afterEach(() => database.drop());

  it('refuses a data directory another client holds', async () => {
    const db = await DatabaseClient.open(database.config);
    try {
      await expect(runMigrations(database.config)).rejects.toThrow(/in use by process/);
    } finally {
      await db.close();
    }
    await expect(runMigrations(database.config)).resolves.toEqual([]);
  });
});
