import { randomUUID } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
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
    const temp = await this.tempFile();
    const counted = new HashingLimit(options.maxBytes);
    try {
      // flush: the bytes are on disk before the put (and the upload request) succeeds.
      await pipeline(body, counted, createWriteStream(temp, { flags: 'wx', flush: true }));
      const sha256 = counted.digest();
      counted.assertExpected(options, sha256);
      await this.writeSidecar(meta, { contentType: options.contentType, sha256 });
      await mkdir(dirname(data), { recursive: true });
      await rename(temp, data);
      return { key, size: counted.size, sha256, etag: etagOf(sha256) };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async copy(sourceKey: string, targetKey: string): Promise<ObjectStat> {
    const source = this.paths(sourceKey);
    const target = this.paths(targetKey);
    const sidecar = await readSidecar(source.meta);
    const temp = await this.tempFile();
    try {
      const from = createReadStream(source.data);
      await pipeline(from, createWriteStream(temp, { flags: 'wx', flush: true })).catch(
        (error: NodeJS.ErrnoException) => {
          throw error.code === 'ENOENT' ? new ObjectNotFoundError(sourceKey) : error;
        },
      );
      if (sidecar) await this.writeSidecar(target.meta, sidecar);
      else await rm(target.meta, { force: true });
      await mkdir(dirname(target.data), { recursive: true });
      await rename(temp, target.data);
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
  private async tempFile(): Promise<string> {
    const temp = join(this.root, '.tmp', randomUUID());
    await mkdir(dirname(temp), { recursive: true });
    return temp;
  }

  private paths(key: string): { data: string; meta: string } {
    assertValidKey(key);
    return { data: join(this.root, key), meta: join(this.root, '.meta', `${key}.json`) };
  }

  private async writeSidecar(path: string, sidecar: Sidecar): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify(sidecar));
    await rename(temp, path);
  }
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
