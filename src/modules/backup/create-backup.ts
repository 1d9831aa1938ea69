import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AppConfig } from '../../config';
import { DatabaseSnapshot } from '../persistence';
import { HashingLimit } from '../storage/hashing-limit';
import { ObjectNotFoundError, ObjectStorage, ObjectSummary } from '../storage/object-storage';
import { openObjectStorage } from '../storage/object-storage-factory';
import { BackupError } from './backup-error';
import {
  BackupManifest,
  MANIFEST_FILE,
  newManifest,
  OBJECT_LIST_FILE,
  ObjectEntry,
  objectFile,
  tableFile,
} from './backup-manifest';
import { LineCount, writeLineFile } from './line-files';

export type Report = (line: string) => void;

/**
 * `backup --out DIR`: the database as of one snapshot, then the objects: their bytes on local
 * disk (checked against the sha256 stored with them), their keys and ETags on S3, whose bucket
 * keeps the bytes (versioning, README). Objects are read after the snapshot, so every object
 * a backed-up row names is there, except one deleted meanwhile together with its row.
 */
export async function createBackup(
  config: AppConfig,
  outDir: string,
  report: Report,
): Promise<BackupManifest> {
  await assertEmptyDir(outDir);
  const createdAt = new Date().toISOString();
  const database = await dumpDatabase(config, outDir, report);
  const opened = await openObjectStorage(config, { createBucket: false });
  try {
    const bytesIncluded = config.storage.kind === 'local';
    const objects = await listObjects(opened.storage, outDir, bytesIncluded, report);
    const manifest = newManifest({
      id: randomUUID(),
      createdAt,
      database,
      objects: { storage: config.storage.kind, bytesIncluded, ...objects },
    });
    const temp = join(outDir, `.${MANIFEST_FILE}.tmp`);
    await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });
    await rename(temp, join(outDir, MANIFEST_FILE));
    return manifest;
  } finally {
    opened.close();
  }
}

async function assertEmptyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length) {
    throw new BackupError(`${dir} is not empty: back up into a new directory`);
  }
}

async function dumpDatabase(
  config: AppConfig,
  outDir: string,
  report: Report,
): Promise<BackupManifest['database']> {
  const snapshot = await DatabaseSnapshot.open(config.database);
  try {
    const tables: BackupManifest['database']['tables'] = [];
    for (const table of snapshot.tables) {
      const written = await writeLineFile(tableFile(outDir, table.name), snapshot.lines(table));
      tables.push({ name: table.name, columns: table.columns, ...written });
      report(`table ${table.name}: ${written.rows} rows`);
    }
    return { adapter: config.database.kind, migrations: snapshot.migrations, tables };
  } finally {
    await snapshot.close();
  }
}

/** Writes the object list (and, with `bytesIncluded`, each object's bytes). */
async function listObjects(
  storage: ObjectStorage,
  outDir: string,
  bytesIncluded: boolean,
  report: Report,
): Promise<LineCount> {
  const summaries = await storage.list('');
  let vanished = 0;
  async function* entries() {
    for (const summary of summaries) {
      const entry = bytesIncluded
        ? await copyObject(storage, summary, outDir).catch(unlessNotFound)
        : { key: summary.key, size: summary.size, etag: summary.etag };
      if (entry) yield JSON.stringify(entry);
      else vanished += 1;
    }
  }
  const listed = await writeLineFile(join(outDir, OBJECT_LIST_FILE), entries());
  const how = bytesIncluded ? 'copied' : 'listed (keys and ETags)';
  report(`objects: ${listed.rows} ${how}, ${vanished} deleted while the backup ran`);
  return listed;
}

/** An object deleted since it was listed (retention, erasure) is left out. */
function unlessNotFound(error: unknown): undefined {
  if (error instanceof ObjectNotFoundError) return undefined;
  throw error;
}

async function copyObject(
  storage: ObjectStorage,
  summary: ObjectSummary,
  outDir: string,
): Promise<ObjectEntry> {
  const read = await storage.get(summary.key);
  const path = objectFile(outDir, summary.key);
  await mkdir(dirname(path), { recursive: true });
  const counted = new HashingLimit();
  await pipeline(read.body, counted, createWriteStream(path, { flags: 'wx', flush: true }));
  const sha256 = counted.digest();
  if (read.sha256 && read.sha256 !== sha256) {
    throw new BackupError(
      `Object ${summary.key} is damaged in storage: its bytes hash to ${sha256}, ` +
        `but ${read.sha256} was recorded when it was stored`,
    );
  }
  return {
    key: summary.key,
    size: counted.size,
    etag: read.etag,
    contentType: read.contentType,
    sha256,
  };
}
