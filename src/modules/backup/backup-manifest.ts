import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { assertValidKey } from '../storage/object-key';
import { BackupError } from './backup-error';

/**
 * A backup is a directory:
 *
 *   manifest.json              written last: a directory without it is an unfinished backup
 *   tables/<table>.ndjson.gz   one line of JSON per row, as the database wrote it
 *   objects.ndjson.gz          one line per object: key, size, ETag (and sha256, content type)
 *   objects/<key>              the bytes, when included (local disk)
 *
 * Row and object lines are counted and hashed (SHA-256 of the uncompressed lines) in the
 * manifest, so a restore checks every file before it touches anything, and checks the
 * restored tables against the same figures. Plain gzip and JSON lines (Node's zlib, any `zcat`)
 * rather than an archive format: a table streams in and out without a library, and an operator
 * can read a backup with standard tools. The manifest and object lines are checked with zod.
 */
export const MANIFEST_FILE = 'manifest.json';
export const OBJECT_LIST_FILE = 'objects.ndjson.gz';
const FORMAT = 'vireo-backup';
const FORMAT_VERSION = 1;

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const lineCount = { rows: z.number().int().nonnegative(), sha256: sha256Hex };

const manifestSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(FORMAT_VERSION),
  id: z.uuid(),
  createdAt: z.iso.datetime(),
  database: z.object({
    adapter: z.enum(['pglite', 'postgres']),
    migrations: z.array(z.string()).min(1),
    /** Parents before the tables that refer to them. */
    tables: z.array(
      z.object({
        name: z.string().regex(/^[a-z0-9_]+$/),
        columns: z.array(z.string()).min(1),
        ...lineCount,
      }),
    ),
  }),
  objects: z.object({
    storage: z.enum(['local', 's3']),
    /** false: only keys and ETags; the bucket keeps the bytes (versioned, see README). */
    bytesIncluded: z.boolean(),
    ...lineCount,
  }),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

const objectEntrySchema = z.object({
  key: z.string().refine(isValidKey, 'not a valid object key'),
  size: z.number().int().nonnegative(),
  etag: z.string(),
  contentType: z.string().optional(),
  sha256: sha256Hex.optional(),
});

export type ObjectEntry = z.infer<typeof objectEntrySchema>;

export function newManifest(fields: Omit<BackupManifest, 'format' | 'version'>): BackupManifest {
  return { format: FORMAT, version: FORMAT_VERSION, ...fields };
}

export function tableFile(dir: string, table: string): string {
  return join(dir, 'tables', `${table}.ndjson.gz`);
}

export function objectFile(dir: string, key: string): string {
  return join(dir, 'objects', ...key.split('/'));
}

/** The manifest of the backup in `dir`, checked for shape and format version. */
export async function readManifest(dir: string): Promise<BackupManifest> {
  const text = await readFile(join(dir, MANIFEST_FILE), 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new BackupError(
      `${dir} has no ${MANIFEST_FILE}: it is not a backup, or one that did not finish`,
    );
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BackupError(`${MANIFEST_FILE} in ${dir} is damaged: ${(error as Error).message}`);
  }
  const { format, version } = (json ?? {}) as { format?: unknown; version?: unknown };
  if (format === FORMAT && typeof version === 'number' && version > FORMAT_VERSION) {
    throw new BackupError(
      `The backup in ${dir} has format version ${version}; this release reads ${FORMAT_VERSION}`,
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupError(
      `${MANIFEST_FILE} in ${dir} is not a Vireo backup manifest ` +
        `(${issue?.path.join('.') || 'top level'}: ${issue?.message})`,
    );
  }
  return parsed.data;
}

/** One line of the object list, checked; `bytesIncluded` requires sha256 and content type. */
export function parseObjectEntry(line: string, bytesIncluded: boolean): ObjectEntry {
  const parsed = objectEntrySchema.safeParse(parseJson(line));
  const entry = parsed.success ? parsed.data : undefined;
  if (!entry || (bytesIncluded && (!entry.sha256 || entry.contentType === undefined))) {
    throw new BackupError(`${OBJECT_LIST_FILE} has an entry that is not an object: ${line}`);
  }
  return entry;
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function isValidKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}
