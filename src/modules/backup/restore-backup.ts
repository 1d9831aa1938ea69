import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../../config';
import { DatabaseDump, DatabaseRestore } from '../persistence';
import { ObjectStorage } from '../storage/object-storage';
import { OpenedStorage, openObjectStorage } from '../storage/object-storage-factory';
import { BackupError } from './backup-error';
import {
  BackupManifest,
  OBJECT_LIST_FILE,
  ObjectEntry,
  objectFile,
  parseObjectEntry,
  readManifest,
  tableFile,
} from './backup-manifest';
import type { Report } from './create-backup';
import { countLineFile, LineCount, readLineFile } from './line-files';

/** Keys named in a refusal; the count says how many more. */
const KEYS_SHOWN = 5;

/**
 * `restore --from DIR` into an empty deployment. Every file of the backup is checked before
 * anything is written; then the database is migrated to the backup's schema, the objects are
 * put back (or, for a backup that lists keys only, found in the bucket), the rows are loaded
 * and checked in one transaction, and later migrations applied. A restore that died midway
 * runs again from the start: objects already back are skipped and the rows were all or nothing.
 */
export async function restoreBackup(
  config: AppConfig,
  fromDir: string,
  report: Report,
): Promise<'restored' | 'already restored'> {
  const manifest = await readManifest(fromDir);
  const objects = await checkBackupFiles(fromDir, manifest);
  report(`backup ${manifest.id} of ${manifest.createdAt} is whole`);

  const dump: DatabaseDump = { id: manifest.id, ...manifest.database };
  const database = await DatabaseRestore.open(config.database);
  try {
    if ((await database.prepare(dump)) === 'restored') {
      await database.finish();
      return 'already restored';
    }
    const opened = await openObjectStorage(config, { createBucket: true });
    try {
      await restoreObjects(opened, fromDir, manifest.objects.bytesIncluded, objects, report);
    } finally {
      opened.close();
    }
    await database.load(dump, (table) => readLineFile(tableFile(fromDir, table)));
    report(`tables: ${dump.tables.length} restored and checked`);
    await database.finish();
    return 'restored';
  } finally {
    await database.close();
  }
}

/** Reads every file the manifest names and compares it with the manifest; the object list. */
async function checkBackupFiles(dir: string, manifest: BackupManifest): Promise<ObjectEntry[]> {
  for (const table of manifest.database.tables) {
    await expectLines(tableFile(dir, table.name), `tables/${table.name}.ndjson.gz`, table);
  }
  await expectLines(join(dir, OBJECT_LIST_FILE), OBJECT_LIST_FILE, manifest.objects);
  const objects: ObjectEntry[] = [];
  for await (const line of readLineFile(join(dir, OBJECT_LIST_FILE))) {
    objects.push(parseObjectEntry(line, manifest.objects.bytesIncluded));
  }
  if (manifest.objects.bytesIncluded) {
    for (const entry of objects) await expectBytes(dir, entry);
  }
  return objects;
}

async function expectLines(path: string, name: string, expected: LineCount): Promise<void> {
  const found = await countLineFile(path).catch((error: Error) => {
    throw new BackupError(`The backup's ${name} is damaged or missing: ${error.message}`);
  });
  if (found.rows !== expected.rows || found.sha256 !== expected.sha256) {
    throw new BackupError(
      `The backup's ${name} does not match its manifest: ${found.rows} lines ` +
        `(sha256 ${found.sha256}), the manifest says ${expected.rows} (sha256 ${expected.sha256})`,
    );
  }
}

async function expectBytes(dir: string, entry: ObjectEntry): Promise<void> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(
      objectFile(dir, entry.key),
    ) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
  } catch (error) {
    throw new BackupError(
      `The backup's copy of object ${entry.key} is missing: ${(error as Error).message}`,
    );
  }
  const sha256 = hash.digest('hex');
  if (size !== entry.size || sha256 !== entry.sha256) {
    throw new BackupError(
      `The backup's copy of object ${entry.key} is damaged: ${size} bytes ` +
        `(sha256 ${sha256}), the object list says ${entry.size} (sha256 ${entry.sha256})`,
    );
  }
}

async function restoreObjects(
  { storage, location }: OpenedStorage,
  dir: string,
  bytesIncluded: boolean,
  objects: ObjectEntry[],
  report: Report,
): Promise<void> {
  if (!bytesIncluded) {
    await assertObjectsPresent(storage, location, objects);
    report(`objects: ${objects.length} found in storage as backed up`);
    return;
  }
  let put = 0;
  for (const entry of objects) {
    // Already back (a restore that stopped midway): only the local disk records a sha256.
    if ((await storage.stat(entry.key))?.sha256 === entry.sha256) continue;
    await storage.put(entry.key, createReadStream(objectFile(dir, entry.key)), {
      contentType: entry.contentType as string,
      expectedSize: entry.size,
      expectedSha256: entry.sha256,
    });
    put += 1;
  }
  report(`objects: ${put} put back, ${objects.length - put} already there`);
}

/** A backup of keys and ETags only: the bucket must still hold those very objects. */
async function assertObjectsPresent(
  storage: ObjectStorage,
  location: string,
  objects: ObjectEntry[],
): Promise<void> {
  const missing: string[] = [];
  const changed: string[] = [];
  for (const entry of objects) {
    const found = await storage.stat(entry.key);
    if (!found) missing.push(entry.key);
    else if (found.etag !== entry.etag) changed.push(entry.key);
  }
  if (!missing.length && !changed.length) return;
  throw new BackupError(
    `${missing.length + changed.length} of the ${objects.length} objects this backup lists ` +
      `are not in ${location} as backed up (missing: ${shown(missing)}; changed: ${shown(changed)}). ` +
      "The backup holds their keys and ETags only: bring the bucket back to the backup's time " +
      '(e.g. restore those keys from their object versions), then run restore again. ' +
      'No rows or objects were restored.',
  );
}

function shown(keys: string[]): string {
  if (!keys.length) return 'none';
  const more = keys.length - KEYS_SHOWN;
  return keys.slice(0, KEYS_SHOWN).join(', ') + (more > 0 ? ` and ${more} more` : '');
}
