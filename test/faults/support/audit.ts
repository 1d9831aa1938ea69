import { Client as MinioClient } from 'minio';
import type { Pool } from 'pg';

/** Object keys of the images' bytes (`originals/`, `derivatives/`, `staging/`); model artifacts aside. */
const IMAGE_PREFIXES = ['originals/', 'derivatives/', 'staging/'];

export interface StoreMismatch {
  /** Rows whose bytes are missing from the bucket. */
  rowsWithoutObject: string[];
  /** Objects no row points at (after the sweeper). */
  objectsWithoutRow: string[];
  rows: number;
  objects: number;
}

/** Lists the bucket and the images table and compares them both ways. */
export async function compareRowsAndObjects(
  db: Pool,
  s3: { endpoint: string; accessKey: string; secretKey: string; bucket: string },
): Promise<StoreMismatch> {
  const url = new URL(s3.endpoint);
  const minio = new MinioClient({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
  });
  const objects = new Set<string>();
  for (const prefix of IMAGE_PREFIXES) {
    for await (const item of minio.listObjectsV2(s3.bucket, prefix, true)) {
      if (item.name) objects.add(item.name);
    }
  }
  const { rows } = await db.query<{
    id: string;
    owner_id: string;
    status: string;
    storage_key: string;
    derivative_key: string | null;
  }>(`SELECT id, owner_id, status::text, storage_key, derivative_key FROM images`);
  const expected = new Set<string>();
  const rowsWithoutObject: string[] = [];
  for (const row of rows) {
    expected.add(row.storage_key);
    if (row.derivative_key) expected.add(row.derivative_key);
    // A completion copies a pending upload's bytes to their final key before the row moves.
    if (row.status === 'pending') expected.add(`originals/${row.owner_id}/${row.id}`);
    // A pending upload's bytes arrive later, if ever; every other row has its original.
    if (row.status !== 'pending' && !objects.has(row.storage_key)) {
      rowsWithoutObject.push(`${row.status} ${row.storage_key}`);
    }
    if (row.derivative_key && !objects.has(row.derivative_key)) {
      rowsWithoutObject.push(`${row.status} ${row.derivative_key}`);
    }
  }
  return {
    rowsWithoutObject,
    objectsWithoutRow: [...objects].filter((key) => !expected.has(key)),
    rows: rows.length,
    objects: objects.size,
  };
}
