import {
  DatabaseBackupError,
  DatabaseDump,
  DatabaseRestore,
  DatabaseSnapshot,
  RowDigest,
  runMigrations,
} from '../../src/modules/persistence';
import { openSqlSession } from '../../src/modules/persistence/database/sql-session';
import { DatabaseKind, throwawayDatabase, ThrowawayDatabase } from '../support/databases';

// PGlite migrates and restores on the test's thread: half a minute under load on 2 cores.
jest.setTimeout(180_000);

const USER = '01900000-0000-7000-8000-000000000001';
const IMAGE = '01900000-0000-7000-8000-000000000002';
const MODEL = '01900000-0000-7000-8000-000000000003';
const VERSION = '01900000-0000-7000-8000-000000000004';

/** Values that could come back different: text escapes, big integers, floats, bytes, JSON. */
const AWKWARD_ROWS = `
  INSERT INTO "users" ("id", "email", "display_name", "scopes") VALUES
    ('${USER}', 'zoë@example.com', E'quote " backslash \\\\ tab \\t line\\nbreak ✓', ARRAY['admin', 'a,b']);
  INSERT INTO "images" ("id", "owner_id", "status", "storage_key", "size_bytes", "metadata", "label")
    VALUES ('${IMAGE}', '${USER}', 'processed', 'images/x', 9007199254740993, '"a JSON string"', 'cat');
  INSERT INTO "models" ("id", "name", "task") VALUES ('${MODEL}', 'moderation', 'classify');
  INSERT INTO "model_versions" ("id", "model_id", "version", "status", "artifact_key", "metrics")
    VALUES ('${VERSION}', '${MODEL}', 1, 'production', 'models/m/1', '{"b": [1, 2.50, null], "a": {"ü": 1e-7}}');
  INSERT INTO "predictions" ("id", "image_id", "model_version_id", "scores", "top_label", "top_score", "latency_ms")
    VALUES ('01900000-0000-7000-8000-000000000005', '${IMAGE}', '${VERSION}',
            '[{"label": "cat", "score": 0.30000000000000004}]', 'cat', 0.30000000000000004, 'NaN');
  INSERT INTO "embeddings" ("image_id", "model", "dim", "vector") VALUES ('${IMAGE}', 'mobilenet_v2', 3, '\\x00ff10');
  INSERT INTO "daily_aggregates" ("day", "owner_id", "metric", "dimension", "count", "sum") VALUES
    ('2026-12-01', '${USER}', 'uploads', 'Zebra', 5, 1e-7),
    ('2026-12-01', '${USER}', 'uploads', 'apple', 1, 0),
    ('2026-12-01', '${USER}', 'uploads', '', 6, -0.5);`;

/** Dumps `db` the way `backup` does: each table's lines, counted and hashed. */
async function dump(db: ThrowawayDatabase, id: string) {
  const snapshot = await DatabaseSnapshot.open(db.config);
  const lines = new Map<string, string[]>();
  const plan: DatabaseDump = { id, migrations: snapshot.migrations, tables: [] };
  try {
    for (const table of snapshot.tables) {
      const digest = new RowDigest();
      const rows: string[] = [];
      for await (const line of snapshot.lines(table)) {
        digest.add(line);
        rows.push(line);
      }
      lines.set(table.name, rows);
      plan.tables.push({
        name: table.name,
        columns: table.columns,
        rows: digest.rows,
        sha256: digest.sha256(),
      });
    }
  } finally {
    await snapshot.close();
  }
  return { plan, lines };
}

async function restore(
  db: ThrowawayDatabase,
  plan: DatabaseDump,
  lines: (table: string) => string[],
): Promise<string> {
  const restoring = await DatabaseRestore.open(db.config);
  try {
    const state = await restoring.prepare(plan);
    if (state === 'empty') {
      await restoring.load(plan, async function* (table) {
        yield* lines(table);
      });
    }
    await restoring.finish();
    return state;
  } finally {
    await restoring.close();
  }
}

async function rowCount(db: ThrowawayDatabase, table: string): Promise<number> {
  const session = await openSqlSession(db.config, 'test');
  try {
    const [{ n }] = await session.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
    return n;
  } finally {
    await session.close();
  }
}

const PAIRS: [DatabaseKind, DatabaseKind][] = [
  ['pglite', 'postgres'],
  ['postgres', 'pglite'],
];

describe.each(PAIRS)('a database dump from %s restored into %s', (from, to) => {
  const dbs: ThrowawayDatabase[] = [];
  let source: ThrowawayDatabase;
  let dumped: Awaited<ReturnType<typeof dump>>;

  const fresh = async (kind: DatabaseKind) => {
    const db = await throwawayDatabase(kind);
    dbs.push(db);
    return db;
  };

  beforeAll(async () => {
    source = await fresh(from);
    await runMigrations(source.config);
    const session = await openSqlSession(source.config, 'test');
    try {
      await session.exec(AWKWARD_ROWS);
    } finally {
      await session.close();
    }
    dumped = await dump(source, '01900000-0000-7000-8000-0000000000aa');
  });
  afterAll(() => Promise.all(dbs.map((db) => db.drop())));

  it('lists every data table, parents before children, and not the migrations table', () => {
    const names = dumped.plan.tables.map((table) => table.name);
    expect(names).not.toContain('schema_migrations');
    expect(names.indexOf('users')).toBeLessThan(names.indexOf('images'));
    expect(names.indexOf('images')).toBeLessThan(names.indexOf('predictions'));
    expect(names.indexOf('model_versions')).toBeLessThan(names.indexOf('predictions'));
    expect(dumped.lines.get('daily_aggregates')?.map((line) => JSON.parse(line).dimension)).toEqual(
      ['', 'Zebra', 'apple'],
    );
  });

  it('restores rows that dump to the same lines, and a second run changes nothing', async () => {
    const target = await fresh(to);
    expect(await restore(target, dumped.plan, (table) => dumped.lines.get(table) ?? [])).toBe(
      'empty',
    );

    const again = await dump(target, 'unused');
    // Only the restore's own record differs: it is written after the check.
    for (const table of dumped.plan.tables.filter((t) => t.name !== 'audit_log')) {
      expect({ table: table.name, lines: again.lines.get(table.name) }).toEqual({
        table: table.name,
        lines: dumped.lines.get(table.name),
      });
    }
    const restoredMarker = again.lines.get('audit_log')?.map((line) => JSON.parse(line).action);
    expect(restoredMarker).toEqual(['backup.restored']);

    expect(await restore(target, dumped.plan, () => [])).toBe('restored');
    expect(await rowCount(target, 'audit_log')).toBe(1);
  });

  it('refuses a database that has rows', async () => {
    const refused = restore(source, dumped.plan, () => []);
    await expect(refused).rejects.toBeInstanceOf(DatabaseBackupError);
    await expect(refused).rejects.toThrow(
      /^The target database is not empty \(rows in models, users, daily_aggregates, images, model_versions, embeddings, predictions\); restore only into a fresh deployment/,
    );
  });

  it('rolls every row back when a table does not read back as the backup recorded it', async () => {
    const target = await fresh(to);
    const altered = (table: string) =>
      (dumped.lines.get(table) ?? []).map((line) =>
        table === 'images' ? line.replace('"cat"', '"dog"') : line,
      );

    await expect(restore(target, dumped.plan, altered)).rejects.toThrow(
      /^Table images restored as 1 rows \(sha256 [0-9a-f]{64}\), but the backup recorded 1/,
    );
    expect(await rowCount(target, 'users')).toBe(0);
    expect(await restore(target, dumped.plan, (table) => dumped.lines.get(table) ?? [])).toBe(
      'empty',
    );
  });

  it('refuses a backup whose schema this release does not know', async () => {
    const target = await fresh(to);
    const newer = {
      ...dumped.plan,
      migrations: [...dumped.plan.migrations, '29990101000000_later'],
    };
    await expect(restore(target, newer, () => [])).rejects.toThrow(
      /migrations this release does not know \(29990101000000_later\)/,
    );
  });
});
