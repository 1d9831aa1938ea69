import type { SqlConnection } from '../migrations/sql-connection';

/** What a dump needs to know about one table, read from the database's own catalog. */
export interface TableShape {
  name: string;
  /** In the table's column order. */
  columns: string[];
  /** SQL ordering the rows the same way on every server (primary key, byte-wise for text). */
  orderBy: string;
}

/** The migration runner's own table: restored by running migrations, never as rows. */
const MIGRATIONS_TABLE = 'schema_migrations';

interface CatalogRow {
  name: string;
  columns: { name: string; collatable: boolean }[];
  key: string[] | null;
  parents: string[] | null;
}

// Read from the catalog rather than listed by hand, so a table a future migration adds is
// backed up without anyone remembering to add it here.
const CATALOG_SQL = `
  SELECT c.relname AS name,
    (SELECT json_agg(json_build_object('name', a.attname, 'collatable', a.attcollation <> 0)
                     ORDER BY a.attnum)
       FROM pg_attribute a
      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
    ) AS columns,
    (SELECT json_agg(a.attname ORDER BY k.ord)
       FROM pg_constraint p
       CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = k.attnum
      WHERE p.conrelid = c.oid AND p.contype = 'p'
    ) AS key,
    (SELECT json_agg(DISTINCT parent.relname)
       FROM pg_constraint f JOIN pg_class parent ON parent.oid = f.confrelid
      WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid
    ) AS parents
  FROM pg_class c
  WHERE c.relnamespace = current_schema()::regnamespace
    AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> $1
  ORDER BY c.relname`;

/** The data tables, parents before the tables whose foreign keys point at them. */
export async function readTableCatalog(db: SqlConnection): Promise<TableShape[]> {
  const rows = await db.query<CatalogRow>(CATALOG_SQL, [MIGRATIONS_TABLE]);
  const shapes = new Map(rows.map((row) => [row.name, toShape(row)]));
  return parentsFirst(rows).map((name) => shapes.get(name) as TableShape);
}

/** Names quoted for SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function toShape(row: CatalogRow): TableShape {
  const collatable = new Set(row.columns.filter((c) => c.collatable).map((c) => c.name));
  // Text sorts by the server's collation unless told; "C" sorts bytes, the same everywhere.
  const byKey = (row.key ?? []).map(
    (column) => `r.${quoteIdent(column)}${collatable.has(column) ? ' COLLATE "C"' : ''}`,
  );
  return {
    name: row.name,
    columns: row.columns.map((column) => column.name),
    orderBy: byKey.length ? byKey.join(', ') : 'row_to_json(r)::text COLLATE "C"',
  };
}

function parentsFirst(rows: CatalogRow[]): string[] {
  const names = new Set(rows.map((row) => row.name));
  const pending = new Map(
    rows.map((row) => [row.name, new Set((row.parents ?? []).filter((p) => names.has(p)))]),
  );
  const ordered: string[] = [];
  while (pending.size) {
    const ready = [...pending].filter(([, parents]) => parents.size === 0).map(([name]) => name);
    if (!ready.length) {
      throw new Error(`Foreign keys form a cycle among: ${[...pending.keys()].join(', ')}`);
    }
    for (const name of ready) {
      pending.delete(name);
      for (const parents of pending.values()) parents.delete(name);
      ordered.push(name);
    }
  }
  return ordered;
}
