import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyEmptyPglite } from './support/databases';
import { eventually, sleep } from './support/eventually';
import { testImages } from './support/images';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';
import { startVireo, VireoProcess } from './support/vireo-process';

const ADMIN_API_KEY = 'vir_uploadkill_0123456789abcdefghijABCDEFGHIJ';
const UPLOADS = 100;
/** SIGKILL once this many uploads were answered 202: the rest are in flight. */
const KILL_AFTER_ACCEPTED = 25;
/**
 * Upload i starts i x this late: rows of concurrent uploads are committed (and answered) in
 * batches, so 100 uploads sent at once could all be answered before the kill lands.
 */
const STAGGER_MS = 20;
/**
 * Boots, twice, on a machine other test suites load as well; the embedded restart also
 * replays PGlite's WAL (about 7 s for a killed data directory on an idle machine).
 */
const BOOT_WITHIN_MS = 180_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

interface Upload {
  bytes: Buffer;
  sha256: string;
  /** The answer before the kill, if one came. */
  status?: number;
  id?: string;
}

const sha256Of = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The built binary SIGKILLed while 100 uploads are in flight, then started again on the same
 * data: every upload answered 202 is complete (row, object with its bytes, processed through
 * its job or the reconciler), and an upload that got no answer left no row, unless it was
 * committed just before the kill (then the client's retry finds it: 200, same bytes).
 */
describe.each([
  ['PostgreSQL + Redis', true],
  ['the embedded defaults (PGlite, local disk, in-process queue)', false],
])('uploads SIGKILLed mid-flight on %s', (_name, external) => {
  const redis = testRedis();
  let dataDir: string;
  let database: TestDatabase | undefined;
  let vireo: VireoProcess | undefined;

  const start = () =>
    startVireo(
      {
        DATA_DIR: dataDir,
        ...(database && { DATABASE_URL: database.url }),
        ...(external && { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix }),
        ADMIN_API_KEY,
        INFERENCE_THREADS: '1',
        RATE_LIMIT_UPLOADS_PER_MIN: '100000',
        RATE_LIMIT_READS_PER_MIN: '100000',
        // After the restart, images left `uploaded` by the lost in-process queue go back at once.
        RECONCILE_STALE_S: '1',
        RECONCILE_INTERVAL_S: '1',
        QUEUE_LOCK_MS: '2000',
        MODEL_PRELOAD: 'false',
      },
      [],
      { readyTimeoutMs: BOOT_WITHIN_MS },
    );

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${vireo!.url}${path}`, {
      ...init,
      headers: { 'x-api-key': ADMIN_API_KEY, ...init.headers },
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  const post = (bytes: Buffer) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'photo.jpg');
    return api('/v1/images', { method: 'POST', body: form });
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vireo-upload-kill-'));
    if (external) database = await createTestDatabase();
    // An initialised empty PGlite: its initdb would take seconds of the boot.
    else await copyEmptyPglite(join(dataDir, 'db'));
  });
  afterAll(async () => {
    await vireo?.stop('SIGKILL');
    await database?.drop();
    if (external) await deleteRedisKeys(redis);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every 202 after a restart, and leaves no row behind an unanswered upload', async () => {
    const jpeg = await testImages.noiseJpeg(200 * 1024);
    const uploads: Upload[] = Array.from({ length: UPLOADS }, (_, i) => {
      const bytes = Buffer.concat([jpeg, Buffer.from(`upload-${i}`)]);
      return { bytes, sha256: sha256Of(bytes) };
    });
    vireo = await start();
    const killed = vireo;
    let accepted = 0;
    const answered = Promise.all(
      uploads.map(async (upload, i) => {
        await sleep(i * STAGGER_MS);
        try {
          const res = await post(upload.bytes);
          upload.status = res.status;
          upload.id = res.body.id;
          if (res.status === 202 && ++accepted === KILL_AFTER_ACCEPTED)
            killed.child.kill('SIGKILL');
        } catch {
          // The connection died with the process: no answer.
        }
      }),
    );
    await answered;
    expect(await killed.stop('SIGKILL')).toBeNull();
    const acceptedUploads = uploads.filter((upload) => upload.status === 202);
    const unanswered = uploads.filter((upload) => upload.status === undefined);
    // Every answer before the kill was a 202; some uploads were still in flight.
    expect(acceptedUploads.length + unanswered.length).toBe(UPLOADS);
    expect(acceptedUploads.length).toBeGreaterThanOrEqual(KILL_AFTER_ACCEPTED);
    expect(unanswered.length).toBeGreaterThan(0);

    vireo = await start();
    const listed = await api('/v1/images?limit=100');
    expect(listed.status).toBe(200);
    const rows = listed.body.items as Json[];
    expect(listed.body.nextCursor).toBeNull();
    // Every 202 has its row, with the sha256 of the bytes sent.
    const rowsById = new Map(rows.map((row) => [row.id as string, row]));
    for (const upload of acceptedUploads) {
      expect(rowsById.get(upload.id!)).toMatchObject({ sha256: upload.sha256 });
    }
    // Any other row is an unanswered upload committed just before the kill: whole, never
    // pending, and its bytes are one of those uploads'.
    const acceptedIds = new Set(acceptedUploads.map((upload) => upload.id));
    const unansweredSha256 = new Set(unanswered.map((upload) => upload.sha256));
    for (const row of rows.filter((r) => !acceptedIds.has(r.id))) {
      expect(unansweredSha256.has(row.sha256)).toBe(true);
      expect(row.status).not.toBe('pending');
    }

    // Each 202 is processed after the restart (its job, or the reconciler's), from its bytes.
    for (const upload of acceptedUploads) {
      await eventually(
        async () => {
          const image = await api(`/v1/images/${upload.id}`);
          expect(image.body.status).not.toBe('failed');
          return image.body.status === 'processed' ? image.body : undefined;
        },
        120_000,
        200,
      );
      const content = await fetch(`${vireo.url}/v1/images/${upload.id}/content`, {
        headers: { 'x-api-key': ADMIN_API_KEY },
      });
      expect(content.status).toBe(200);
      expect(sha256Of(new Uint8Array(await content.arrayBuffer()))).toBe(upload.sha256);
    }

    // The unanswered uploads, retried: new (202), or the row committed before the kill (200).
    const committedBeforeKill = new Set(
      rows.filter((r) => !acceptedIds.has(r.id)).map((r) => r.sha256),
    );
    for (const upload of unanswered) {
      const retry = await post(upload.bytes);
      expect(retry.status).toBe(committedBeforeKill.has(upload.sha256) ? 200 : 202);
      expect(retry.body.sha256).toBe(upload.sha256);
    }
    const after = await api('/v1/images?limit=100');
    expect(after.body.items).toHaveLength(UPLOADS);
    expect(new Set((after.body.items as Json[]).map((row) => row.sha256)).size).toBe(UPLOADS);
  }, 600_000);
});
