import { randomUUID } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import {
  access,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { resolveRange } from './byte-range';
import { HashingLimit } from './hashing-limit';
import { assertValidKey } from './object-key';
import {
  ByteRange,
  ObjectNotFoundError,
  ObjectRead,
  ObjectStat,
  ObjectStorage,
  ObjectSummary,
  PutOptions,
  SignedGetOptions,
  SignedPutOptions,
  SignedUrl,
  StoredObject,
} from './object-storage';
import { SignedRequest, UrlSigner } from './url-signer';

interface Sidecar {
  contentType: string;
  sha256: string;
}

/** Where the app serves signed object URLs (see SignedObjectController). */
export const SIGNED_OBJECTS_PATH = '/v1/storage/objects';

/**
 * Objects as files under `root` (`DATA_DIR/objects`): written to a temp file, then renamed into
 * place, so a reader never sees half an object. Content type and checksum live in a sidecar
 * under `.meta/`; valid keys never start a segment with a dot, so they cannot reach it.
 * Folders are created when a write finds them missing, not before every write (the upload
 * hot path: three `mkdir`s per object were ~3% of its CPU).
 */
export class LocalDiskStorage extends ObjectStorage {
  constructor(
    private readonly root: string,
    private readonly signer: UrlSigner,
    private readonly publicUrl: string,
  ) {
    super();
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    const { data, meta } = this.paths(key);
    const temp = this.tempPath();
    const counted = new HashingLimit(options.maxBytes);
    try {
      // flush: the bytes are on disk before the put (and the upload request) succeeds.
      const file = await this.tempStream(temp);
      await pipeline(body, counted, file);
      const sha256 = counted.digest();
      counted.assertExpected(options, sha256);
      await this.writeSidecar(meta, { contentType: options.contentType, sha256 });
      await renameIntoFolder(temp, data);
      return { key, size: counted.size, sha256, etag: etagOf(sha256) };
    } catch (error) {
      body.destroy();
      await rm(temp, { force: true });
      throw error;
    }
  }

  async copy(sourceKey: string, targetKey: string): Promise<ObjectStat> {
    const source = this.paths(sourceKey);
    const target = this.paths(targetKey);
    const sidecar = await readSidecar(source.meta);
    const temp = this.tempPath();
    try {
      // A second name for the same bytes, not a copy of them: objects are never written in
      // place (a new file is renamed over the old one), so neither name changes the other.
      await inFolder(temp, () => link(source.data, temp)).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'ENOENT' ? new ObjectNotFoundError(sourceKey) : error;
      });
      if (sidecar) await this.writeSidecar(target.meta, sidecar);
      else await rm(target.meta, { force: true });
      await renameIntoFolder(temp, target.data);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const copied = await this.stat(targetKey);
    if (!copied) throw new ObjectNotFoundError(targetKey);
    return copied;
  }

  async get(key: string, range?: ByteRange): Promise<ObjectRead> {
    const found = await this.stat(key);
    if (!found) throw new ObjectNotFoundError(key);
    const served = range && resolveRange(range, found.size);
    const body = createReadStream(this.paths(key).data, served);
    return { ...found, body, range: served };
  }

  async stat(key: string): Promise<ObjectStat | null> {
    const { data, meta } = this.paths(key);
    const file = await stat(data).catch(ifMissing(null));
    if (!file?.isFile()) return null;
    const sidecar = await readSidecar(meta);
    return {
      key,
      size: file.size,
      contentType: sidecar?.contentType ?? 'application/octet-stream',
      etag: sidecar ? etagOf(sidecar.sha256) : `"${file.size}-${file.mtimeMs}"`,
      lastModified: file.mtime,
      sha256: sidecar?.sha256,
    };
  }

  async delete(key: string): Promise<void> {
    const { data, meta } = this.paths(key);
    await Promise.all([rm(data, { force: true }), rm(meta, { force: true })]);
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    // Walk only the directory the prefix names, e.g. `a/b/` for `a/b/c`.
    const directory = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    if (directory) assertValidKey(directory.slice(0, -1));
    const entries = await readdir(join(this.root, directory), {
      recursive: true,
      withFileTypes: true,
    }).catch(ifMissing([]));
    const keys = entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .filter((key) => !key.startsWith('.') && key.startsWith(prefix))
      .sort();
    const stats = await Promise.all(keys.map((key) => this.stat(key)));
    return stats
      .filter((s): s is ObjectStat => s !== null)
      .map(({ contentType: _type, ...summary }) => summary);
  }

  async signedPutUrl(key: string, options: SignedPutOptions): Promise<SignedUrl> {
    assertValidKey(key);
    const request: SignedRequest = {
      method: 'PUT',
      key,
      expires: this.signer.expiryIn(options.expiresInS),
      contentType: options.contentType,
      contentLength: options.contentLength,
    };
    const headers: Record<string, string> = { 'Content-Type': options.contentType };
    if (options.contentLength !== undefined)
      headers['Content-Length'] = String(options.contentLength);
    return {
      url: this.urlFor(request),
      method: 'PUT',
      headers,
      expiresAt: new Date(request.expires * 1000),
    };
  }

  async signedGetUrl(key: string, options: SignedGetOptions): Promise<SignedUrl> {
    assertValidKey(key);
    const request: SignedRequest = {
      method: 'GET',
      key,
      expires: this.signer.expiryIn(options.expiresInS),
      contentType: options.responseContentType,
    };
    return {
      url: this.urlFor(request),
      method: 'GET',
      headers: {},
      expiresAt: new Date(request.expires * 1000),
    };
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.W_OK);
  }

  private urlFor(request: SignedRequest): string {
    const query = new URLSearchParams({ exp: String(request.expires) });
    if (request.contentType !== undefined) query.set('ct', request.contentType);
    if (request.contentLength !== undefined) query.set('len', String(request.contentLength));
    query.set('sig', this.signer.sign(request));
    const path = request.key.split('/').map(encodeURIComponent).join('/');
    return `${this.publicUrl}${SIGNED_OBJECTS_PATH}/${path}?${query}`;
  }

  /** A fresh path under `.tmp/`, renamed into place once its bytes are whole. */
  private tempPath(): string {
    return join(this.root, '.tmp', randomUUID());
  }

  /** A new file at `temp`, synced to disk before it closes. */
  private async tempStream(temp: string): Promise<Writable> {
    const file = await inFolder(temp, () => open(temp, 'wx'));
    return file.createWriteStream({ flush: true });
  }

  private paths(key: string): { data: string; meta: string } {
    assertValidKey(key);
    return { data: join(this.root, key), meta: join(this.root, '.meta', `${key}.json`) };
  }

  private async writeSidecar(path: string, sidecar: Sidecar): Promise<void> {
    const temp = `${path}.${randomUUID()}.tmp`;
    await inFolder(temp, () => writeFile(temp, JSON.stringify(sidecar)));
    await rename(temp, path);
  }
}

/** Runs `create`, which makes `path`; creates the folder of `path` only if it was missing. */
async function inFolder<T>(path: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(path), { recursive: true });
    return create();
  }
}

/** Moves the file at `from` (which exists) to `to`, creating the folder of `to` if needed. */
function renameIntoFolder(from: string, to: string): Promise<void> {
  return inFolder(to, () => rename(from, to));
}

async function readSidecar(path: string): Promise<Sidecar | null> {
  const text = await readFile(path, 'utf8').catch(ifMissing(null));
  return text === null ? null : (JSON.parse(text) as Sidecar);
}

function ifMissing<T>(fallback: T) {
  return (error: NodeJS.ErrnoException): T => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return fallback;
    throw error;
  };
}

export function etagOf(sha256: string): string {
  return `"${sha256}"`;
}
