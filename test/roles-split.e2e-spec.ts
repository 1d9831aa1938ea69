import { Queue } from 'bullmq';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { QueueName } from '../src/modules/queue/queues';
import { SWEEP_UPLOADS_EVERY_MS } from '../src/modules/upload/sweeper/sweep-uploads.schedule';
import { eventually } from './support/eventually';
import { testImages } from './support/images';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';
import { startVireo, VireoProcess } from './support/vireo-process';

const ADMIN_API_KEY = 'vir_splitadmin_0123456789abcdefghijABCDEFGHIJ';

/**
 * The built binary as a deployment runs it: one process per role, sharing one PostgreSQL
 * database, one Redis prefix and one directory of objects on local disk. What a sweep removes
 * is tested in-process with a fake clock (test/upload.e2e-spec.ts); here, that the scheduler's
 * sweep runs on the worker.
 */
describe('roles split across processes: web, worker and scheduler', () => {
  const redis = testRedis();
  let dataDir: string;
  let database: TestDatabase;
  let web: VireoProcess;
  let scheduler: VireoProcess;
  let worker: VireoProcess | undefined;
  let queues: Record<Extract<QueueName, 'process-image' | 'sweep-uploads'>, Queue>;
  let imageId: string;

  const start = (role: string) =>
    startVireo(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        SIGNING_SECRET: 'split-roles-signing-secret',
        ADMIN_API_KEY,
        MODEL_PRELOAD: 'false',
        INFERENCE_THREADS: '1',
      },
      ['--role', role],
    );

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${web.url}${path}`, {
      ...init,
      headers: { 'x-api-key': ADMIN_API_KEY, ...init.headers },
    });

  const imageStatus = async (id: string) =>
    ((await (await api(`/v1/images/${id}`)).json()) as { status: string }).status;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vireo-split-'));
    database = await createTestDatabase();
    [web, scheduler] = await Promise.all([start('web'), start('scheduler')]);
    const connection = { url: redis.url };
    queues = {
      'process-image': new Queue('process-image', { connection, prefix: redis.prefix }),
      'sweep-uploads': new Queue('sweep-uploads', { connection, prefix: redis.prefix }),
    };
  });
  afterAll(async () => {
    await Promise.all([web?.stop(), scheduler?.stop(), worker?.stop()]);
    await Promise.all(Object.values(queues ?? {}).map((queue) => queue.close()));
    await Promise.all([database?.drop(), deleteRedisKeys(redis)]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the scheduler registers the recurring sweep-uploads job in Redis', async () => {
    const schedulers = await eventually(async () => {
      const found = await queues['sweep-uploads'].getJobSchedulers();
      return found.length > 0 ? found : undefined;
    });
    expect(schedulers).toEqual([
      expect.objectContaining({ key: 'sweep-uploads', every: SWEEP_UPLOADS_EVERY_MS }),
    ]);
  });

  it('the web process takes an upload but consumes no queue: its jobs wait', async () => {
    const form = new FormData();
    const bytes = await testImages.jpeg(40, 30, '#336699');
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'a.jpg');
    const uploaded = await api('/v1/images', { method: 'POST', body: form });
    expect(uploaded.status).toBe(202);
    imageId = ((await uploaded.json()) as { id: string }).id;

    expect(await imageStatus(imageId)).toBe('uploaded');
    for (const queue of Object.values(queues)) {
      expect(await queue.getWorkers()).toEqual([]);
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    }
  });

  it('the worker process processes the upload and runs the scheduled sweep', async () => {
    worker = await start('worker');

    const processed = await eventually(
      async () => {
        const res = await api(`/v1/images/${imageId}`);
        const body = (await res.json()) as { status: string };
        return ['processed', 'failed'].includes(body.status) ? body : undefined;
      },
      60_000,
      200,
    );
    expect(processed).toMatchObject({ status: 'processed', width: 40, height: 30 });
    const thumbnail = await api(`/v1/images/${imageId}/thumbnail?inline=1`);
    expect([thumbnail.status, thumbnail.headers.get('content-type')]).toEqual([200, 'image/webp']);
    const meta = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 40, height: 30 });

    const swept = await eventually(async () => {
      const { completed } = await queues['sweep-uploads'].getJobCounts('completed');
      return completed > 0 ? completed : undefined;
    }, 30_000);
    expect(swept).toBe(1);
    expect(await queues['process-image'].getWorkers()).not.toEqual([]);
  });

  it('the worker serves health, not the API nor signed object URLs; the web role does', async () => {
    const signedPath = '/v1/storage/objects/originals/x/y?exp=1&sig=forged';
    for (const path of ['/v1/images', signedPath]) {
      const res = await fetch(`${worker!.url}${path}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    const onWeb = await fetch(`${web.url}${signedPath}`);
    expect(onWeb.status).toBe(403);
    expect((await fetch(`${worker!.url}/health/live`)).status).toBe(200);
  });
});
