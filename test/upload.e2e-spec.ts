import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { JobQueue } from '../src/modules/queue/job-queue';
import { QueueUnavailableError } from '../src/modules/queue/queue-unavailable';
import { QueueName } from '../src/modules/queue/queues';
import { ObjectStorage } from '../src/modules/storage/object-storage';
import { ModelRepository, PredictionRepository } from '../src/modules/persistence';
import { ImageReconciler } from '../src/modules/realtime/reconciler/image-reconciler';
import { AppConfig } from '../src/config';
import { COMPLETION_LEASE_MS } from '../src/modules/upload/presigned-upload.service';
import { UploadSweeper } from '../src/modules/upload/sweeper/upload-sweeper';
import { bootListeningApp, TestApp } from './support/app';
import { FakeClock } from './support/clock';
import { eventually, waitUntil } from './support/eventually';
import { handlerOf } from './support/handler-trace';
import { sha256 } from './support/hashing';
import { testImages } from './support/images';
import { createTestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';
import { startS3rver } from './support/s3rver';

const ADMIN_KEY = 'vir_uploadadmin_0123456789abcdefghijABCDEFGHIJ';
const MAX_UPLOAD_BYTES = 256 * 1024;

/** One booted platform, listening on a real port so signed URLs can be fetched. */
interface Harness {
  app: TestApp;
  /** The app's clock: links and sweeps see time moved by hand (reset after each test). */
  clock: FakeClock;
  storage: ObjectStorage;
  jobs: JobQueue;
  /** Where presigned PUTs go: the app itself, or the S3 server. */
  uploadOrigin: string;
  /** Whether a PUT with another Content-Type is refused by the link itself (else at completion). */
  storeVerifiesSignatures: boolean;
  close: () => Promise<void>;
}

type Boot = () => Promise<Harness>;

function bootListening(env: Record<string, string>, clock: FakeClock): Promise<TestApp> {
  return bootListeningApp(
    { ADMIN_API_KEY: ADMIN_KEY, MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), ...env },
    { clock },
  );
}

function harnessOf(
  app: TestApp,
  clock: FakeClock,
  uploadOrigin: string,
  close: () => Promise<void>,
): Harness {
  return {
    app,
    clock,
    storage: app.app.get(ObjectStorage),
    jobs: app.app.get(JobQueue),
    uploadOrigin,
    storeVerifiesSignatures: app.config.storage.kind === 'local',
    close,
  };
}

const backends: [string, Boot][] = [
  [
    'local disk, PGlite and the in-process queue (embedded defaults)',
    async () => {
      const clock = new FakeClock();
      const app = await bootListening({}, clock);
      return harnessOf(app, clock, app.config.http.publicUrl, app.close);
    },
  ],
  [
    's3rver, PostgreSQL and BullMQ on Redis',
    async () => {
      const [s3, db] = await Promise.all([startS3rver(), createTestDatabase()]);
      const redis = testRedis();
      const clock = new FakeClock();
      const app = await bootListening(
        {
          S3_ENDPOINT: s3.endpoint,
          S3_ACCESS_KEY: s3.accessKey,
          S3_SECRET_KEY: s3.secretKey,
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          REDIS_PREFIX: redis.prefix,
        },
        clock,
      );
      return harnessOf(app, clock, s3.endpoint, async () => {
        await app.close();
        await Promise.all([s3.stop(), db.drop(), deleteRedisKeys(redis)]);
      });
    },
  ],
];

const errorCode = (res: { body: { error?: { code: string } } }) => res.body.error?.code;

interface Owner {
  id: string;
  headers: { 'x-api-key': string };
}

interface ImageBody {
  id: string;
  status: string;
  width: number | null;
  height: number | null;
  sha256: string | null;
  size: number | null;
  failureCode: string | null;
  links: { self: string; content: string; thumbnail: string | null };
  duplicate?: boolean;
  [field: string]: unknown;
}

interface PredictionBody {
  model: string;
  version: number;
  label: string;
  score: number;
  scores: { label: string; score: number }[];
}

interface UploadLink {
  id: string;
  uploadUrl: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: string;
}

describe.each(backends)('uploads and image fetch on %s', (_name, boot) => {
  let h: Harness;
  let owner: Owner;
  let ownerCount = 0;

  beforeAll(async () => {
    h = await boot();
    owner = await newOwner();
  });
  afterAll(() => h?.close());
  afterEach(() => h.clock.reset());

  const http = () => h.app.http();

  /** A fresh user with an images key: a tenant of its own, so tests see only their images. */
  async function newOwner(scopes = ['images:write', 'images:read']): Promise<Owner> {
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    const user = await h.app
      .http()
      .post('/v1/admin/users')
      .set(admin)
      .send({ email: `owner${++ownerCount}-${Date.now()}@example.com`, password: 'p'.repeat(16) })
      .expect(201);
    const key = await h.app
      .http()
      .post('/v1/keys')
      .set(admin)
      .send({ name: 'uploads', scopes, ownerId: user.body.id })
      .expect(201);
    return { id: user.body.id, headers: { 'x-api-key': key.body.key } };
  }

  function upload(
    bytes: Buffer,
    as: Owner = owner,
    options: { contentType?: string; filename?: string; fields?: Record<string, string> } = {},
  ) {
    const req = http().post('/v1/images').set(as.headers);
    for (const [name, value] of Object.entries(options.fields ?? {})) req.field(name, value);
    return req.attach('file', bytes, {
      filename: options.filename ?? 'photo.bin',
      contentType: options.contentType ?? 'application/octet-stream',
    });
  }

  async function uploaded(bytes: Buffer, as: Owner = owner): Promise<ImageBody> {
    return (await upload(bytes, as).expect(202)).body as ImageBody;
  }

  function waitForStatus(id: string, as: Owner = owner): Promise<ImageBody> {
    return eventually(
      async () => {
        const res = await h.app.http().get(`/v1/images/${id}`).set(as.headers).expect(200);
        return ['processed', 'failed'].includes(res.body.status)
          ? (res.body as ImageBody)
          : undefined;
      },
      30_000,
      100,
    );
  }

  async function storedKeys(as: Owner = owner): Promise<string[]> {
    const listed = await Promise.all(
      ['originals', 'derivatives', 'staging'].map((folder) =>
        h.storage.list(`${folder}/${as.id}/`),
      ),
    );
    return listed.flat().map((object) => object.key);
  }

  async function imageIds(as: Owner): Promise<string[]> {
    const res = await h.app.http().get('/v1/images').set(as.headers).expect(200);
    return res.body.items.map((image: ImageBody) => image.id);
  }

  /** Nothing of the owner's is left: no row, no object. */
  async function expectNothingStored(as: Owner): Promise<void> {
    expect(await imageIds(as)).toEqual([]);
    expect(await storedKeys(as)).toEqual([]);
  }

  async function startUpload(
    bytes: Buffer,
    as: Owner = owner,
    extra: Record<string, unknown> = {},
  ): Promise<UploadLink> {
    const res = await h.app
      .http()
      .post('/v1/uploads')
      .set(as.headers)
      .send({ contentType: 'image/jpeg', size: bytes.length, ...extra })
      .expect(201);
    return res.body as UploadLink;
  }

  /** The client's PUT, with a real HTTP client, straight to where the link points. */
  function putBytes(link: UploadLink, bytes: Buffer, headers: Record<string, string> = {}) {
    return fetch(link.uploadUrl, {
      method: link.method,
      headers: { ...link.headers, ...headers },
      body: bytes,
    });
  }

  function complete(id: string, as: Owner = owner) {
    return h.app.http().post(`/v1/uploads/${id}/complete`).set(as.headers);
  }

  /** The original bytes of an image, streamed by the app. */
  async function inlineContent(id: string, as: Owner): Promise<Buffer> {
    const res = await http()
      .get(`/v1/images/${id}/content?inline=1`)
      .set(as.headers)
      .buffer(true)
      .parse(binary)
      .expect(200);
    return res.body as Buffer;
  }

  async function jobsAdded(queue: QueueName): Promise<number> {
    const counts = await h.jobs.counts(queue);
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  describe('POST /v1/images (multipart, streamed)', () => {
    it('sweeps an original no row names once no upload can still be writing its row (a process killed in between)', async () => {
      const as = await newOwner();
      const kept = await uploaded(await testImages.jpeg(21, 23, '#0a0b0c'), as);
      const orphan = `originals/${as.id}/${randomUUID()}`;
      const bytes = await testImages.jpeg(9, 9, '#0d0e0f');
      await h.storage.put(orphan, Readable.from([bytes]), { contentType: 'image/jpeg' });
      const sweeper = h.app.app.get(UploadSweeper);
      await sweeper.sweep();
      expect(await storedKeys(as)).toContain(orphan);
      // Later than any upload that was running can still write its row.
      h.clock.advance(h.app.app.get(AppConfig).http.requestTimeoutMs + COMPLETION_LEASE_MS + 1_000);
      expect((await sweeper.sweep()).orphanOriginals).toBeGreaterThanOrEqual(1);
      expect(await storedKeys(as)).not.toContain(orphan);
      expect(await storedKeys(as)).toContain(`originals/${as.id}/${kept.id}`);
    });

    it('stores the image, answers 202 with the resource and processes it', async () => {
      const bytes = await testImages.jpeg(64, 48, '#102030');
      const res = await upload(bytes, owner, {
        fields: { label: 'cat', metadata: JSON.stringify({ camera: 'x100', tags: ['a'] }) },
      }).expect(202);
      expect(res.body).toMatchObject({
        status: 'uploaded',
        contentType: 'image/jpeg',
        size: bytes.length,
        sha256: sha256(bytes),
        label: 'cat',
        metadata: { camera: 'x100', tags: ['a'] },
        duplicate: false,
        predictions: [],
      });
      expect(res.body.links.self).toMatch(new RegExp(`/v1/images/${res.body.id}$`));

      const processed = await waitForStatus(res.body.id);
      expect(processed).toMatchObject({ status: 'processed', width: 64, height: 48 });
      expect(processed.processedAt).toEqual(expect.any(String));
      expect(processed.links.thumbnail).toMatch(/\/thumbnail$/);
      const predictions = processed.predictions as PredictionBody[];
      const moderation = predictions.find((p) => p.model === 'moderation');
      expect(moderation).toMatchObject({ version: 1, label: moderation?.scores[0].label });
      expect(moderation!.scores.map((s) => s.label).sort()).toEqual([
        'Drawing',
        'Hentai',
        'Neutral',
        'Porn',
        'Sexy',
      ]);
      expect(moderation!.scores.reduce((sum, s) => sum + s.score, 0)).toBeCloseTo(1, 4);
    });

    it('takes the text fields after the file as well as before it', async () => {
      const as = await newOwner();
      const bytes = await testImages.png(20, 20, '#abcdef');
      const res = await http()
        .post('/v1/images')
        .set(as.headers)
        .attach('file', bytes, { filename: 'a.png', contentType: 'image/png' })
        .field('label', 'dog')
        .expect(202);
      expect(res.body).toMatchObject({ label: 'dog', contentType: 'image/png' });
    });

    it.each([
      ['an EXIF-rotated JPEG', testImages.exifRotatedJpeg, 40, 60],
      ['an animated GIF', testImages.animatedGif, 32, 32],
      ['a 16-bit PNG', testImages.png16, 32, 32],
      ['a CMYK JPEG', testImages.cmykJpeg, 32, 32],
    ])(
      'processes %s: auto-oriented, metadata stripped, WebP thumbnail',
      async (_kind, make, width, height) => {
        const image = await waitForStatus((await uploaded(await make())).id);
        expect(image).toMatchObject({ status: 'processed', width, height });
        const thumbnail = await http()
          .get(`/v1/images/${image.id}/thumbnail?inline=1`)
          .set(owner.headers)
          .buffer(true)
          .parse(binary)
          .expect(200);
        expect(thumbnail.headers['content-type']).toBe('image/webp');
        const meta = await sharp(thumbnail.body as Buffer).metadata();
        expect(meta).toMatchObject({ format: 'webp', width, height });
        expect(meta.exif).toBeUndefined();
        expect(meta.orientation).toBeUndefined();
      },
    );

    it('marks bytes with an image signature that do not decode as failed', async () => {
      const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);
      const image = await waitForStatus((await uploaded(fake)).id);
      expect(image).toMatchObject({ status: 'failed', failureCode: 'undecodable_image' });
    });

    it('answers the same bytes from the same owner with the existing image, stored once', async () => {
      const as = await newOwner();
      const bytes = await testImages.jpeg(30, 30, '#445566');
      const first = await uploaded(bytes, as);
      const again = await upload(bytes, as).expect(200);
      expect(again.body).toMatchObject({ id: first.id, duplicate: true });
      const originals = (await storedKeys(as)).filter((key) => key.startsWith('originals/'));
      expect(originals).toEqual([`originals/${as.id}/${first.id}`]);

      const other = await newOwner();
      const theirs = await uploaded(bytes, other);
      expect(theirs.id).not.toBe(first.id);
    });

    it('settles concurrent uploads of the same bytes to one image: one 202, the rest 200 with it', async () => {
      const as = await newOwner();
      const bytes = await testImages.jpeg(31, 29, '#665544');
      const answers = await Promise.all(Array.from({ length: 6 }, () => upload(bytes, as)));
      const statuses = answers.map((res) => res.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 200, 202]);
      const ids = new Set(answers.map((res) => res.body.id as string));
      expect(ids.size).toBe(1);
      const [id] = ids;
      const originals = (await storedKeys(as)).filter((key) => key.startsWith('originals/'));
      expect(originals).toEqual([`originals/${as.id}/${id}`]);
    });

    it('refuses an image over MAX_UPLOAD_BYTES with 413, storing nothing', async () => {
      const as = await newOwner();
      const big = await testImages.noiseJpeg(MAX_UPLOAD_BYTES + 64 * 1024);
      expect(big.length).toBeGreaterThan(MAX_UPLOAD_BYTES);
      const res = await upload(big, as).expect(413);
      expect(errorCode(res)).toBe('payload_too_large');
      await expectNothingStored(as);
    });

    it('refuses bytes that are no supported image with 415, storing nothing', async () => {
      const as = await newOwner();
      const res = await upload(Buffer.from('%PDF-1.7 definitely not an image'), as, {
        contentType: 'image/jpeg',
      }).expect(415);
      expect(errorCode(res)).toBe('unsupported_image');
      await expectNothingStored(as);
    });

    it('refuses a declared type the bytes disagree with with 422, storing nothing', async () => {
      const as = await newOwner();
      const res = await upload(await testImages.jpeg(), as, { contentType: 'image/png' }).expect(
        422,
      );
      expect(errorCode(res)).toBe('content_type_mismatch');
      await expectNothingStored(as);
    });

    it('refuses an empty file with 400', async () => {
      const as = await newOwner();
      const res = await upload(Buffer.alloc(0), as).expect(400);
      expect(errorCode(res)).toBe('empty_file');
      await expectNothingStored(as);
    });

    it('refuses a form without a file, and bad metadata, with 400, storing nothing', async () => {
      const as = await newOwner();
      const noFile = await http().post('/v1/images').set(as.headers).field('label', 'x');
      expect([noFile.status, errorCode(noFile)]).toEqual([400, 'file_required']);
      for (const metadata of ['not json', '[1,2]', JSON.stringify({ big: 'x'.repeat(5000) })]) {
        const res = await upload(await testImages.jpeg(), as, { fields: { metadata } });
        expect([res.status, errorCode(res)]).toEqual([400, 'invalid_metadata']);
      }
      await expectNothingStored(as);
    });

    it('refuses a truncated form with 400, storing nothing', async () => {
      const as = await newOwner();
      const boundary = 'vireo-truncated';
      const image = await testImages.noiseJpeg(40 * 1024);
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n` +
            'Content-Type: image/jpeg\r\n\r\n',
        ),
        image.subarray(0, 20 * 1024),
      ]);
      const res = await http()
        .post('/v1/images')
        .set(as.headers)
        .set('content-type', `multipart/form-data; boundary=${boundary}`)
        .send(body)
        .expect(400);
      expect(errorCode(res)).toBe('incomplete_upload');
      await expectNothingStored(as);
    });

    it('leaves no row and no object when the client disconnects mid-stream', async () => {
      const as = await newOwner();
      const boundary = 'vireo-disconnect';
      const head = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n` +
            'Content-Type: image/jpeg\r\n\r\n',
        ),
        (await testImages.noiseJpeg(100 * 1024)).subarray(0, 64 * 1024),
      ]);
      const url = new URL(h.app.config.http.publicUrl);
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/v1/images',
        headers: {
          ...as.headers,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + 64 * 1024),
        },
      });
      req.on('error', () => undefined);
      const handler = handlerOf('POST', '/v1/images');
      req.write(head);
      await handler.started;
      req.destroy();
      await handler.settled;
      await expectNothingStored(as);
    });

    it('keeps an image whose job the queue refused uploaded, until the reconciler re-enqueues it', async () => {
      const as = await newOwner();
      const add = jest.spyOn(h.jobs, 'add').mockRejectedValueOnce(new QueueUnavailableError());
      const image = await uploaded(await testImages.jpeg(26, 22, '#5a5a5a'), as);
      expect(add).toHaveBeenCalledWith(
        'process-image',
        { imageId: image.id, ownerId: as.id },
        expect.anything(),
      );
      add.mockRestore();
      const reconciler = h.app.app.get(ImageReconciler);
      await reconciler.reconcile();
      const kept = await http().get(`/v1/images/${image.id}`).set(as.headers).expect(200);
      expect(kept.body.status).toBe('uploaded');

      // A pass once the image has waited long enough for its job to count as lost.
      const { requeued } = await reconciler.reconcile(
        Date.now() + h.app.config.reconcile.staleS * 1000 + 1000,
      );
      expect(requeued).toBeGreaterThanOrEqual(1);
      const processed = await waitForStatus(image.id, as);
      expect(processed).toMatchObject({ status: 'processed', width: 26, height: 22 });
    });

    it('needs the images:write scope', async () => {
      const reader = await newOwner(['images:read']);
      const res = await upload(await testImages.jpeg(), reader).expect(403);
      expect(errorCode(res)).toBe('insufficient_scope');
    });
  });

  describe('presigned uploads', () => {
    it('uploads straight to storage with a real HTTP client, then completes once', async () => {
      const bytes = await testImages.jpeg(50, 30, '#778899');
      const link = await startUpload(bytes, owner, { label: 'bird', metadata: { n: 1 } });
      expect(link).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'image/jpeg' } });
      expect(link.uploadUrl.startsWith(h.uploadOrigin)).toBe(true);
      expect(new Date(link.expiresAt).getTime()).toBeGreaterThan(Date.now());
      const pending = await http().get(`/v1/images/${link.id}`).set(owner.headers).expect(200);
      expect(pending.body).toMatchObject({ status: 'pending', label: 'bird', metadata: { n: 1 } });

      expect((await putBytes(link, bytes)).ok).toBe(true);
      const jobsBefore = await jobsAdded('process-image');
      // Paused, so that no worker changes the image between the two answers.
      await h.jobs.pause('process-image');
      const completeTwice = async () => [
        await complete(link.id).expect(202),
        await complete(link.id).expect(202),
      ];
      const [first, second] = await completeTwice().finally(() => h.jobs.resume('process-image'));
      expect(first.body).toMatchObject({ id: link.id, status: 'uploaded', sha256: sha256(bytes) });
      expect(second.body).toEqual(first.body);
      expect((await jobsAdded('process-image')) - jobsBefore).toBe(1);

      const processed = await waitForStatus(link.id);
      expect(processed).toMatchObject({ status: 'processed', width: 50, height: 30 });
      const third = await complete(link.id).expect(202);
      expect(third.body).toMatchObject({ id: link.id, status: 'processed' });
    });

    it.each([2, 5, 8])(
      'completes once for %i concurrent callers, each answered with the same image, nothing lost',
      async (callers) => {
        const as = await newOwner();
        for (let round = 0; round < 3; round++) {
          const bytes = await testImages.jpeg(20 + round, 20 + callers, '#3c3c3c');
          const link = await startUpload(bytes, as);
          expect((await putBytes(link, bytes)).ok).toBe(true);
          const answers = await Promise.all(
            Array.from({ length: callers }, () => complete(link.id, as)),
          );
          expect(answers.map((res) => [res.status, res.body.id, res.body.duplicate])).toEqual(
            answers.map(() => [202, link.id, false]),
          );
          const image = await waitForStatus(link.id, as);
          expect(image).toMatchObject({ status: 'processed', sha256: sha256(bytes) });
          expect((await inlineContent(link.id, as)).equals(bytes)).toBe(true);
        }
      },
    );

    it('completes a duplicate once for concurrent callers, each answered with the existing image', async () => {
      const as = await newOwner();
      const bytes = await testImages.jpeg(21, 23, '#4d4d4d');
      const existing = await uploaded(bytes, as);
      for (let round = 0; round < 3; round++) {
        const link = await startUpload(bytes, as);
        expect((await putBytes(link, bytes)).ok).toBe(true);
        const answers = await Promise.all(Array.from({ length: 6 }, () => complete(link.id, as)));
        expect(answers.map((res) => [res.status, res.body.id, res.body.duplicate])).toEqual(
          answers.map(() => [200, existing.id, true]),
        );
        // A retry long after still answers with the existing image.
        const retry = await complete(link.id, as).expect(200);
        expect(retry.body).toMatchObject({ id: existing.id, duplicate: true });
      }
      expect(await imageIds(as)).toEqual([existing.id]);
      expect(await storedKeys(as)).toContain(`originals/${as.id}/${existing.id}`);
      await http().get(`/v1/images/${existing.id}/content?inline=1`).set(as.headers).expect(200);
    });

    it('takes no bytes through a link once its upload completed: refused, or never reaching the image', async () => {
      const as = await newOwner();
      const bytes = await testImages.noiseJpeg(8 * 1024);
      const link = await startUpload(bytes, as);
      expect((await putBytes(link, bytes)).ok).toBe(true);
      await complete(link.id, as).expect(202);
      const swapped = Buffer.from(bytes);
      swapped[swapped.length - 100] ^= 0xff;
      const late = await putBytes(link, swapped);
      if (h.storeVerifiesSignatures) {
        expect(late.status).toBe(403);
        expect(await late.json()).toMatchObject({ error: { code: 'signed_url_revoked' } });
      }
      expect((await inlineContent(link.id, as)).equals(bytes)).toBe(true);
      expect((await complete(link.id, as).expect(202)).body.sha256).toBe(sha256(bytes));
      const { strayUploads } = await h.app.app.get(UploadSweeper).sweep();
      expect(strayUploads).toBe(late.ok ? 1 : 0);
      expect(await storedKeys(as)).not.toContain(`staging/${as.id}/${link.id}`);
    });

    it('leaves nothing under the image after a PUT through a link whose upload was deleted', async () => {
      const as = await newOwner();
      const bytes = await testImages.jpeg(17, 19, '#123456');
      const link = await startUpload(bytes, as);
      expect((await putBytes(link, bytes)).ok).toBe(true);
      await http().delete(`/v1/images/${link.id}`).set(as.headers).expect(204);
      expect(await storedKeys(as)).toEqual([]);
      const late = await putBytes(link, bytes);
      if (h.storeVerifiesSignatures) expect(late.status).toBe(403);
      expect(await h.storage.list(`originals/${as.id}/`)).toEqual([]);
      await complete(link.id, as).expect(404);
      await h.app.app.get(UploadSweeper).sweep();
      await expectNothingStored(as);
    });

    it('checks a declared sha256, and answers a known one with the existing image', async () => {
      const as = await newOwner();
      const bytes = await testImages.jpeg(12, 12, '#010203');
      const link = await startUpload(bytes, as, { sha256: sha256(bytes).toUpperCase() });
      await putBytes(link, bytes);
      await complete(link.id, as).expect(202);

      const again = await http()
        .post('/v1/uploads')
        .set(as.headers)
        .send({ contentType: 'image/jpeg', size: bytes.length, sha256: sha256(bytes) })
        .expect(200);
      expect(again.body).toMatchObject({ id: link.id, duplicate: true });
      expect(again.body.uploadUrl).toBeUndefined();
    });

    it('answers a completed duplicate with the existing image and removes the new upload', async () => {
      const as = await newOwner();
      const bytes = await testImages.jpeg(14, 14, '#040506');
      const existing = await uploaded(bytes, as);
      const link = await startUpload(bytes, as);
      await putBytes(link, bytes);
      const res = await complete(link.id, as).expect(200);
      expect(res.body).toMatchObject({ id: existing.id, duplicate: true });
      expect(await imageIds(as)).toEqual([existing.id]);
      expect(await storedKeys(as)).not.toContain(`originals/${as.id}/${link.id}`);
    });

    it('answers 409 when the bytes never arrived, and keeps the upload pending', async () => {
      const link = await startUpload(await testImages.jpeg());
      const res = await complete(link.id).expect(409);
      expect(errorCode(res)).toBe('upload_incomplete');
      const image = await http().get(`/v1/images/${link.id}`).set(owner.headers).expect(200);
      expect(image.body.status).toBe('pending');
    });

    it('refuses bytes of a size other than declared: at the link when the store checks signatures, else with 422 on completion', async () => {
      const as = await newOwner();
      const bytes = await testImages.jpeg(16, 16, '#0a0b0c');
      const link = await startUpload(bytes, as, { size: bytes.length + 1000 });
      const { ['Content-Length']: _signedLength, ...headers } = link.headers;
      const put = await fetch(link.uploadUrl, { method: link.method, headers, body: bytes });
      if (h.storeVerifiesSignatures) {
        expect(put.status).toBe(403);
        expect(errorCode(await complete(link.id, as).expect(409))).toBe('upload_incomplete');
      } else {
        expect(put.ok).toBe(true);
        expect(errorCode(await complete(link.id, as).expect(422))).toBe('size_mismatch');
        await expectNothingStored(as);
      }
    });

    it.each([
      ['another sha256 than declared', 'checksum_mismatch', { sha256: 'ab'.repeat(32) }],
      ['another image type than declared', 'content_type_mismatch', { contentType: 'image/png' }],
    ])(
      'refuses bytes of %s with 422 on completion, leaving nothing',
      async (_case, code, declared) => {
        const as = await newOwner();
        const bytes = await testImages.jpeg(16, 16, '#0a0b0c');
        const link = await startUpload(bytes, as, declared);
        const put = await putBytes(link, bytes);
        expect(put.ok).toBe(true);
        const res = await complete(link.id, as).expect(422);
        expect(errorCode(res)).toBe(code);
        await expectNothingStored(as);
      },
    );

    it('refuses bytes that are no image with 415 on completion, leaving nothing', async () => {
      const as = await newOwner();
      const bytes = Buffer.from('GIF? no: just text that claims to be an image');
      const link = await startUpload(bytes, as);
      await putBytes(link, bytes);
      const res = await complete(link.id, as).expect(415);
      expect(errorCode(res)).toBe('unsupported_image');
      await expectNothingStored(as);
    });

    it('refuses a link used with another content type with 403', async () => {
      const as = await newOwner();
      const bytes = await testImages.jpeg(18, 18, '#112233');
      const link = await startUpload(bytes, as);
      const put = await putBytes(link, bytes, { 'Content-Type': 'image/png' });
      if (h.storeVerifiesSignatures) {
        expect(put.status).toBe(403);
        expect(await put.json()).toMatchObject({ error: { code: 'signed_url_invalid' } });
      } else {
        expect(put.ok).toBe(true);
        const res = await complete(link.id, as).expect(403);
        expect(errorCode(res)).toBe('signed_url_invalid');
        await expectNothingStored(as);
      }
    });

    it.each([
      [
        'an unsupported type',
        { contentType: 'image/bmp', size: 10 },
        415,
        'unsupported_image_type',
      ],
      ['an empty image', { contentType: 'image/png', size: 0 }, 400, 'empty_file'],
      [
        'an image over MAX_UPLOAD_BYTES',
        { contentType: 'image/png', size: MAX_UPLOAD_BYTES + 1 },
        413,
        'payload_too_large',
      ],
      [
        'metadata over 4 KiB',
        { contentType: 'image/png', size: 10, metadata: { x: 'y'.repeat(4100) } },
        400,
        'invalid_metadata',
      ],
    ])('refuses to start %s', async (_case, body, status, code) => {
      const res = await http().post('/v1/uploads').set(owner.headers).send(body).expect(status);
      expect(errorCode(res)).toBe(code);
    });
  });

  describe('GET /v1/images/:id and its content', () => {
    let image: ImageBody;
    let bytes: Buffer;

    beforeAll(async () => {
      bytes = await testImages.noiseJpeg(20 * 1024);
      image = await waitForStatus((await uploaded(bytes)).id);
    });

    it('answers 404 image_not_found alike for unknown, malformed and foreign ids', async () => {
      const stranger = await newOwner();
      const paths = [
        `/v1/images/${image.id}`,
        `/v1/images/${image.id}/content`,
        `/v1/images/${image.id}/thumbnail`,
        '/v1/images/00000000-0000-7000-8000-000000000000',
        '/v1/images/not-a-uuid',
      ];
      for (const path of paths) {
        const res = await http().get(path).set(stranger.headers).expect(404);
        expect(errorCode(res)).toBe('image_not_found');
      }
      const res = await http().delete(`/v1/images/${image.id}`).set(stranger.headers).expect(404);
      expect(errorCode(res)).toBe('image_not_found');
      await complete(image.id, stranger).expect(404);
    });

    it('redirects to a short-lived signed URL that serves the original', async () => {
      const res = await http().get(`/v1/images/${image.id}/content`).set(owner.headers).expect(302);
      expect(res.headers['cache-control']).toBe('private, no-store');
      const signed = await fetch(res.headers.location as string);
      expect(signed.status).toBe(200);
      expect(signed.headers.get('content-type')).toBe('image/jpeg');
      // User content: saved, not shown, when opened; on local disk also sandboxed (S3 cannot
      // set that header; its bucket is another origin than the API's).
      expect(signed.headers.get('content-disposition')).toBe('attachment');
      if (h.storeVerifiesSignatures) {
        expect(signed.headers.get('content-security-policy')).toBe('sandbox');
      }
      expect(Buffer.from(await signed.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it('streams the original inline with Content-Type, ETag, Cache-Control and Range', async () => {
      const path = `/v1/images/${image.id}/content?inline=1`;
      const whole = await http().get(path).set(owner.headers).buffer(true).parse(binary);
      expect(whole.status).toBe(200);
      expect(whole.headers).toMatchObject({
        'content-type': 'image/jpeg',
        'accept-ranges': 'bytes',
        'cache-control': 'private, max-age=31536000, immutable',
        'content-security-policy': 'sandbox',
        'content-disposition': 'inline',
      });
      expect(whole.headers.etag).toEqual(expect.any(String));
      expect((whole.body as Buffer).equals(bytes)).toBe(true);

      const part = await http()
        .get(path)
        .set(owner.headers)
        .set('range', 'bytes=10-19')
        .buffer(true)
        .parse(binary)
        .expect(206);
      expect(part.headers['content-range']).toBe(`bytes 10-19/${bytes.length}`);
      expect(part.headers['content-security-policy']).toBe('sandbox');
      expect((part.body as Buffer).equals(bytes.subarray(10, 20))).toBe(true);

      await http()
        .get(path)
        .set(owner.headers)
        .set('if-none-match', whole.headers.etag as string)
        .expect(304);
      const past = await http()
        .get(path)
        .set(owner.headers)
        .set('range', `bytes=${bytes.length + 5}-`);
      expect(past.status).toBe(416);
    });

    it('serves the thumbnail once processed, and 404 before', async () => {
      const redirect = await http()
        .get(`/v1/images/${image.id}/thumbnail`)
        .set(owner.headers)
        .expect(302);
      const signed = await fetch(redirect.headers.location as string);
      expect(signed.headers.get('content-type')).toBe('image/webp');
      expect(signed.headers.get('content-disposition')).toBe('attachment');

      const link = await startUpload(await testImages.jpeg(8, 8));
      const res = await http().get(`/v1/images/${link.id}/thumbnail`).set(owner.headers);
      expect([res.status, errorCode(res)]).toEqual([404, 'thumbnail_not_available']);
    });
  });

  describe('GET /v1/images', () => {
    let as: Owner;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      as = await newOwner();
      const labels = ['cat', 'dog', 'cat', 'bird', 'cat'];
      for (const [i, label] of labels.entries()) {
        const bytes = await testImages.png(8 + i, 8, '#202020');
        const res = await upload(bytes, as, { fields: { label } }).expect(202);
        ids[`${label}${i}`] = res.body.id;
        await waitForStatus(res.body.id, as);
      }
      await startUpload(await testImages.jpeg(7, 7), as);
    });

    const list = (query: Record<string, string | number>) =>
      http().get('/v1/images').set(as.headers).query(query);

    it('pages through every image with an opaque cursor, newest first', async () => {
      const seen: ImageBody[] = [];
      let cursor: string | undefined;
      do {
        const res = await list({ limit: 2, ...(cursor && { cursor }) }).expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items);
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(6);
      expect(new Set(seen.map((image) => image.id)).size).toBe(6);
      const times = seen.map((image) => Date.parse(image.createdAt as string));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('filters by status, label and created-at range', async () => {
      const pending = await list({ status: 'pending' }).expect(200);
      expect(pending.body.items).toHaveLength(1);
      const cats = await list({ label: 'cat' }).expect(200);
      expect(cats.body.items.map((image: ImageBody) => image.id).sort()).toEqual(
        [ids.cat0, ids.cat2, ids.cat4].sort(),
      );
      const all = (await list({ limit: 100 }).expect(200)).body.items as ImageBody[];
      const oldest = all.at(-1)!.createdAt as string;
      const after = await list({ createdFrom: oldest, createdTo: new Date().toISOString() });
      expect(after.body.items).toHaveLength(6);
      const before = await list({ createdTo: oldest }).expect(200);
      expect(before.body.items).toHaveLength(0);
    });

    it('filters by predicted label with a minimum score', async () => {
      const models = h.app.app.get(ModelRepository);
      const predictions = h.app.app.get(PredictionRepository);
      const name = `moderation-${Date.now()}`;
      await models.createModel({ name, task: 'classification' });
      const version = await models.createVersion(name, { artifactKey: `models/${name}/1` });
      const score = (label: string, value: number) => [
        { modelVersionId: version.id, scores: [{ label, score: value }], latencyMs: 1 },
      ];
      await predictions.saveForImage(ids.cat0, score('neutral', 0.9));
      await predictions.saveForImage(ids.dog1, score('neutral', 0.4));

      const confident = await list({ predictedLabel: 'neutral', minScore: 0.8 }).expect(200);
      expect(confident.body.items.map((image: ImageBody) => image.id)).toEqual([ids.cat0]);
      const any = await list({ predictedLabel: 'neutral' }).expect(200);
      expect(any.body.items).toHaveLength(2);
      const one = await http().get(`/v1/images/${ids.cat0}`).set(as.headers).expect(200);
      // Beside the production models' own predictions, made when the image was processed.
      expect(one.body.predictions).toContainEqual(
        expect.objectContaining({ model: name, version: 1, label: 'neutral', score: 0.9 }),
      );
    });

    it('refuses a limit over 100 and a cursor it did not give', async () => {
      await list({ limit: 101 }).expect(400);
      const res = await list({ cursor: 'bm90IGEgY3Vyc29y' }).expect(400);
      expect(errorCode(res)).toBe('invalid_cursor');
    });
  });

  describe('DELETE /v1/images/:id', () => {
    it('removes the row, its predictions and every stored object', async () => {
      const as = await newOwner();
      const image = await waitForStatus((await uploaded(await testImages.jpeg(), as)).id, as);
      expect(await storedKeys(as)).toHaveLength(2);
      await http().delete(`/v1/images/${image.id}`).set(as.headers).expect(204);
      await expectNothingStored(as);
      expect(await h.app.app.get(PredictionRepository).listForImage(image.id)).toEqual([]);
      const again = await http().delete(`/v1/images/${image.id}`).set(as.headers).expect(404);
      expect(errorCode(again)).toBe('image_not_found');
    });
  });

  it('documents every route with its schemas in the OpenAPI document', async () => {
    const doc = (await http().get('/openapi.json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/images',
        '/v1/images/{id}',
        '/v1/images/{id}/content',
        '/v1/images/{id}/thumbnail',
        '/v1/uploads',
        '/v1/uploads/{id}/complete',
      ]),
    );
    expect(doc.paths['/v1/images'].post.requestBody.content).toHaveProperty('multipart/form-data');
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'ImageResource',
        'UploadedImageResource',
        'ImagePageResource',
        'UploadLinkResource',
        'CreateUploadDto',
      ]),
    );
  });

  describe('expiring links', () => {
    /** A little over a link's lifetime. */
    const linkLifetimeMs = () => (h.app.config.uploads.uploadUrlTtlS + 1) * 1000;

    it('refuses a link used after it expired with 403', async () => {
      const bytes = await testImages.jpeg(10, 10, '#0f0f0f');
      // Made a lifetime ago: expired now for the app, and for S3, which checks on its own clock.
      h.clock.advance(-linkLifetimeMs());
      const link = await startUpload(bytes);
      h.clock.reset();
      expect((await putBytes(link, bytes)).status).toBe(403);
    });

    it('sweeps a pending upload, its bytes included, once its link expired', async () => {
      const as = await newOwner();
      const bytes = await testImages.jpeg(11, 11, '#0e0e0e');
      const link = await startUpload(bytes, as);
      expect((await putBytes(link, bytes)).ok).toBe(true);
      const never = await startUpload(await testImages.jpeg(9, 9), as);
      expect(await storedKeys(as)).toEqual([`staging/${as.id}/${link.id}`]);
      h.clock.advance(linkLifetimeMs());

      await h.jobs.add('sweep-uploads', {});
      await waitUntil(async () => (await imageIds(as)).length === 0, 15_000);
      await expectNothingStored(as);
      await complete(never.id, as).expect(404);
    });
  });
});

type BodyParser = Parameters<ReturnType<ReturnType<TestApp['http']>['get']>['parse']>[0];

/** supertest's parser for binary bodies, so they arrive as one Buffer. */
const binary: BodyParser = (res, callback) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => callback(null, Buffer.concat(chunks)));
  stream.on('error', (error: Error) => callback(error, Buffer.alloc(0)));
};
