import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AppConfig, StorageConfig } from '../../src/config';
import { LocalDiskStorage } from '../../src/modules/storage/local-disk.storage';
import { MinioStorage, S3Config } from '../../src/modules/storage/minio.storage';
import { ObjectNotFoundError, ObjectStorage } from '../../src/modules/storage/object-storage';
import {
  ChecksumMismatchError,
  InvalidObjectKeyError,
  ObjectTooLargeError,
  RangeNotSatisfiableError,
  SizeMismatchError,
} from '../../src/modules/storage/storage-errors';
import { UrlSigner } from '../../src/modules/storage/url-signer';
import { bootApp, TestApp } from '../support/app';
import { FakeClock } from '../support/clock';
import { sha256 } from '../support/hashing';
import { RunningS3, startS3rver } from '../support/s3rver';
import { freePort } from '../support/vireo-process';

interface Backend {
  storage: ObjectStorage;
  /** The clock the storage signs and checks its links with. */
  clock: FakeClock;
  /** Files left on local disk outside the objects themselves (temp files), if any. */
  leftovers: () => Promise<string[]>;
  close: () => Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  [
    'local disk (signed URLs served by the app)',
    async () => {
      const port = await freePort();
      const clock = new FakeClock();
      const app: TestApp = await bootApp(
        { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
        { clock },
      );
      await app.app.listen({ port, host: '127.0.0.1' });
      const root = (app.config.storage as Extract<StorageConfig, { kind: 'local' }>).root;
      return {
        storage: app.app.get(ObjectStorage),
        clock,
        leftovers: () => readdir(join(root, '.tmp')).catch(() => []),
        close: app.close,
      };
    },
  ],
  [
    's3 (s3rver)',
    async () => {
      const s3 = await startS3rver();
      const clock = new FakeClock();
      const storage = new MinioStorage(s3Config(s3, 'vireo-contract'), { clock });
      await storage.onModuleInit();
      return {
        storage,
        clock,
        leftovers: async () => [],
        close: async () => {
          storage.onModuleDestroy();
          await s3.stop();
        },
      };
    },
  ],
];

function s3Config(s3: RunningS3, bucket: string): S3Config {
  const config = AppConfig.fromEnv({
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_BUCKET: bucket,
  });
  return config.storage as S3Config;
}

const bytes = (text: string) => Buffer.from(text);
const readAll = async (stream: Readable) => Buffer.concat(await stream.toArray());

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe.each(backends)('ObjectStorage on %s', (_name, open) => {
  let backend: Backend;
  let storage: ObjectStorage;

  beforeAll(async () => {
    backend = await open();
    storage = backend.storage;
  });
  afterAll(() => backend.close());

  it('stores bytes streamed in, with size, sha256 and content type', async () => {
    const body = bytes('hello, object storage');
    const stored = await storage.put('originals/a/hello.txt', Readable.from([body]), {
      contentType: 'text/plain',
    });
    expect(stored).toMatchObject({
      key: 'originals/a/hello.txt',
      size: body.length,
      sha256: sha256(body),
    });
    const read = await storage.get('originals/a/hello.txt');
    expect(read).toMatchObject({ size: body.length, contentType: 'text/plain' });
    expect(await readAll(read.body)).toEqual(body);
  });

  it('reads byte ranges', async () => {
    await storage.put('ranges/digits', Readable.from([bytes('0123456789')]), {
      contentType: 'text/plain',
    });
    const middle = await storage.get('ranges/digits', { start: 2, end: 5 });
    expect(middle.range).toEqual({ start: 2, end: 5 });
    expect((await readAll(middle.body)).toString()).toBe('2345');
    const tail = await storage.get('ranges/digits', { start: 7 });
    expect((await readAll(tail.body)).toString()).toBe('789');
    const beyond = await rejection(storage.get('ranges/digits', { start: 10 }));
    expect(beyond).toEqual(new RangeNotSatisfiableError(10));
  });

  it('stats, lists by prefix and deletes idempotently', async () => {
    await storage.put('list/x/1', Readable.from([bytes('one')]), { contentType: 'text/plain' });
    await storage.put('list/x/2', Readable.from([bytes('two!')]), { contentType: 'text/plain' });
    await storage.put('list/y/3', Readable.from([bytes('3')]), { contentType: 'text/plain' });
    expect((await storage.list('list/x/')).map((o) => [o.key, o.size])).toEqual([
      ['list/x/1', 3],
      ['list/x/2', 4],
    ]);
    expect((await storage.list('list/')).map((o) => o.key)).toEqual([
      'list/x/1',
      'list/x/2',
      'list/y/3',
    ]);
    expect((await storage.list('list/y')).map((o) => o.key)).toEqual(['list/y/3']);
    expect(await storage.list('list/none/')).toEqual([]);
    expect(await storage.stat('list/x/2')).toMatchObject({ size: 4, contentType: 'text/plain' });
    await storage.delete('list/x/1');
    await storage.delete('list/x/1');
    expect(await storage.stat('list/x/1')).toBeNull();
    await expect(storage.get('list/x/1')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('copies an object with its type, replacing the target, and leaves the source', async () => {
    const body = bytes('bytes to be copied');
    await storage.put('copy/source', Readable.from([body]), { contentType: 'image/png' });
    await storage.put('copy/target', Readable.from([bytes('old')]), { contentType: 'text/plain' });
    const copied = await storage.copy('copy/source', 'copy/target');
    expect(copied).toMatchObject({
      key: 'copy/target',
      size: body.length,
      contentType: 'image/png',
    });
    const read = await storage.get('copy/target');
    expect(read.contentType).toBe('image/png');
    expect(await readAll(read.body)).toEqual(body);
    expect(await storage.stat('copy/source')).toMatchObject({ size: body.length });
    // The copy is its own: replacing or deleting the source afterwards leaves it as it was.
    await storage.put('copy/source', Readable.from([bytes('replaced')]), {
      contentType: 'text/plain',
    });
    await storage.delete('copy/source');
    expect(await readAll((await storage.get('copy/target')).body)).toEqual(body);
    const missing = await rejection(storage.copy('copy/none', 'copy/elsewhere'));
    expect(missing).toBeInstanceOf(ObjectNotFoundError);
    expect(await storage.stat('copy/elsewhere')).toBeNull();
  });

  it('refuses an object over the size limit and leaves nothing behind', async () => {
    const error = await rejection(
      storage.put('limits/big', Readable.from([Buffer.alloc(1000), Buffer.alloc(1000)]), {
        contentType: 'application/octet-stream',
        maxBytes: 1500,
      }),
    );
    expect(error).toEqual(new ObjectTooLargeError(1500));
    expect(await storage.stat('limits/big')).toBeNull();
    expect(await backend.leftovers()).toEqual([]);
  });

  it('refuses bytes that do not match the expected size or sha256, storing nothing', async () => {
    const body = bytes('expected content');
    const wrongHash = await rejection(
      storage.put('checks/hash', Readable.from([body]), {
        contentType: 'text/plain',
        expectedSha256: sha256(bytes('other')),
      }),
    );
    expect(wrongHash).toBeInstanceOf(ChecksumMismatchError);
    const wrongSize = await rejection(
      storage.put('checks/size', Readable.from([body]), {
        contentType: 'text/plain',
        expectedSize: body.length + 1,
      }),
    );
    expect(wrongSize).toEqual(new SizeMismatchError(body.length + 1, body.length));
    expect(await storage.stat('checks/hash')).toBeNull();
    expect(await storage.stat('checks/size')).toBeNull();
  });

  it('stores nothing when the source stream fails midway (a client that disconnects)', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(512));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(
      storage.put('broken/upload', failing, { contentType: 'image/png' }),
    ).rejects.toThrow('client went away');
    expect(await storage.stat('broken/upload')).toBeNull();
    expect(await backend.leftovers()).toEqual([]);
  });

  it.each(['../escape', '/absolute', 'a//b', 'a\\b', '.hidden/x', 'a/../../b', ''])(
    'refuses the key %j',
    async (key) => {
      const error = await rejection(
        storage.put(key, Readable.from([bytes('x')]), { contentType: 'text/plain' }),
      );
      expect(error).toBeInstanceOf(InvalidObjectKeyError);
    },
  );

  it('takes an upload to a signed PUT URL from a real HTTP client, and serves it from a signed GET URL', async () => {
    const body = bytes('uploaded by the client, not the web tier');
    const put = await storage.signedPutUrl('signed/upload.bin', {
      expiresInS: 60,
      contentType: 'application/octet-stream',
      contentLength: body.length,
    });
    expect(put.headers['Content-Type']).toBe('application/octet-stream');
    const uploaded = await fetch(put.url, { method: 'PUT', headers: put.headers, body });
    expect(uploaded.status).toBe(200);
    expect(await readAll((await storage.get('signed/upload.bin')).body)).toEqual(body);

    const get = await storage.signedGetUrl('signed/upload.bin', {
      expiresInS: 60,
      responseContentType: 'image/x-test',
    });
    const downloaded = await fetch(get.url);
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get('content-type')).toBe('image/x-test');
    expect(Buffer.from(await downloaded.arrayBuffer())).toEqual(body);
  });

  it('refuses an expired signed URL', async () => {
    await storage.put('signed/old', Readable.from([bytes('old')]), { contentType: 'text/plain' });
    // Signed 2 s ago for 1 s: expired now, also for S3, which checks them on its own clock.
    backend.clock.advance(-2_000);
    const get = await storage.signedGetUrl('signed/old', { expiresInS: 1 });
    const put = await storage.signedPutUrl('signed/late', {
      expiresInS: 1,
      contentType: 'text/plain',
    });
    backend.clock.reset();
    expect((await fetch(get.url)).status).toBe(403);
    expect(
      (await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'late' })).status,
    ).toBe(403);
    expect(await storage.stat('signed/late')).toBeNull();
  });
});

/** s3rver does not check SigV4 signatures, so tampering is tested on the app's own URLs. */
describe('signed app URLs (local disk)', () => {
  let backend: Backend;

  beforeAll(async () => {
    backend = await backends[0][1]();
    await backend.storage.put('tamper/file', Readable.from([bytes('0123456789')]), {
      contentType: 'text/plain',
    });
  });
  afterAll(() => backend.close());
  afterEach(() => backend.clock.reset());

  const codeOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string } }).error.code;

  it.each([
    [
      'another key',
      (url: URL) => (url.pathname = url.pathname.replace('tamper/file', 'tamper/other')),
    ],
    [
      'a later expiry',
      (url: URL) => url.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600)),
    ],
    ['another signature', (url: URL) => url.searchParams.set('sig', 'A'.repeat(43))],
    ['no signature', (url: URL) => url.searchParams.delete('sig')],
  ])('refuses a GET URL with %s', async (_what, tamper) => {
    const url = new URL(
      (await backend.storage.signedGetUrl('tamper/file', { expiresInS: 60 })).url,
    );
    tamper(url);
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await codeOf(response)).toBe('signed_url_invalid');
  });

  it('refuses a PUT with another content type or size than signed, storing nothing', async () => {
    const put = await backend.storage.signedPutUrl('tamper/upload', {
      expiresInS: 60,
      contentType: 'image/png',
      contentLength: 4,
    });
    const otherType = await fetch(put.url, {
      method: 'PUT',
      headers: { 'Content-Type': 'image/jpeg' },
      body: 'abcd',
    });
    expect(otherType.status).toBe(403);
    expect(await codeOf(otherType)).toBe('signed_url_invalid');
    const otherSize = await fetch(put.url, {
      method: 'PUT',
      headers: { 'Content-Type': 'image/png' },
      body: 'abcdef',
    });
    expect(otherSize.status).toBe(403);
    expect(await backend.storage.stat('tamper/upload')).toBeNull();
  });

  it('refuses to list outside its root', async () => {
    const error = await rejection(backend.storage.list('../'));
    expect(error).toBeInstanceOf(InvalidObjectKeyError);
  });

  it('answers 415 to a signed upload whose type the app cannot stream', async () => {
    const put = await backend.storage.signedPutUrl('tamper/data.json', {
      expiresInS: 60,
      contentType: 'application/json',
    });
    const response = await fetch(put.url, { method: 'PUT', headers: put.headers, body: '{}' });
    expect(response.status).toBe(415);
    expect(await codeOf(response)).toBe('unsupported_media_type');
    expect(await backend.storage.stat('tamper/data.json')).toBeNull();
  });

  it('serves byte ranges with 206 and Content-Range', async () => {
    const get = await backend.storage.signedGetUrl('tamper/file', { expiresInS: 60 });
    const response = await fetch(get.url, { headers: { Range: 'bytes=3-5' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe('bytes 3-5/10');
    expect(await response.text()).toBe('345');
  });

  it('says an expired URL is expired', async () => {
    const get = await backend.storage.signedGetUrl('tamper/file', { expiresInS: 60 });
    backend.clock.advance(60_000);
    const response = await fetch(get.url);
    expect(response.status).toBe(403);
    expect(await codeOf(response)).toBe('signed_url_expired');
  });
});

describe('LocalDiskStorage folders', () => {
  let root: string;
  let storage: LocalDiskStorage;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'vireo-local-disk-'));
    storage = new LocalDiskStorage(
      root,
      new UrlSigner('folders-test-secret', new FakeClock()),
      'http://localhost',
    );
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  // Folders are made when a write finds them missing, not before each write.
  it('puts and copies into folders that do not exist yet, or were removed meanwhile', async () => {
    const put = (key: string, text: string) =>
      storage.put(key, Readable.from([bytes(text)]), { contentType: 'text/plain' });
    await put('originals/o/1', 'first');
    await rm(join(root, '.tmp'), { recursive: true });
    await rm(join(root, '.meta'), { recursive: true });
    await rm(join(root, 'originals'), { recursive: true });
    await put('originals/o/2', 'second');
    await storage.copy('originals/o/2', 'copies/deep/er/2');
    for (const key of ['originals/o/2', 'copies/deep/er/2']) {
      const read = await storage.get(key);
      expect(read.contentType).toBe('text/plain');
      expect(await readAll(read.body)).toEqual(bytes('second'));
    }
    expect(await readdir(join(root, '.tmp'))).toEqual([]);
  });
});

describe('MinioStorage on boot', () => {
  it('starts on every replica when several create the missing bucket at once', async () => {
    const s3 = await startS3rver();
    const replicas = [1, 2, 3].map(() => new MinioStorage(s3Config(s3, 'vireo-boot-race')));
    try {
      await Promise.all(replicas.map((storage) => storage.onModuleInit()));
      await Promise.all(replicas.map((storage) => storage.ping()));
    } finally {
      replicas.forEach((storage) => storage.onModuleDestroy());
      await s3.stop();
    }
  });
});
