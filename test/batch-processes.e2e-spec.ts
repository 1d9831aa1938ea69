import { Queue } from 'bullmq';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EMBEDDING_SIZE } from '../src/modules/model/runtime';
import { adminClient } from './support/admin-client';
import { eventually } from './support/eventually';
import { testImages } from './support/images';
import { graphHead } from './support/model-artifacts';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';
import { startVireo, VireoProcess } from './support/vireo-process';

const ADMIN_API_KEY = 'vir_batchprocs_0123456789abcdefghijABCDEFGHIJ';
const IMAGES = 80;
/** Two chunks of three checkpoints each (16 + 16 + 8 images). */
const CHUNK_SIZE = 40;
const HEAD = 'batch-head';
const HEAD_LABELS = ['left', 'right'];

interface ChunkRow {
  index: number;
  worker: string | null;
  done: number;
  completed: boolean;
  cursor: string | null;
}

/**
 * The built binary as deployed: a web process, two workers and a scheduler sharing
 * PostgreSQL, Redis and a directory of objects. Batch runs fan out over both workers, and a
 * worker SIGKILLed mid-chunk leaves its chunk to the other, which resumes at its cursor.
 */
describe('batch runs across worker processes', () => {
  const redis = testRedis();
  let dataDir: string;
  let database: TestDatabase;
  let db: Client;
  let web: VireoProcess;
  const workers: VireoProcess[] = [];
  let scheduler: VireoProcess;
  let c: ReturnType<typeof adminClient>;
  let imageIds: string[] = [];

  const start = (role: string) =>
    startVireo(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        SIGNING_SECRET: 'batch-processes-signing-secret',
        ADMIN_API_KEY,
        INFERENCE_THREADS: '1',
        RATE_LIMIT_UPLOADS_PER_MIN: '100000',
        RATE_LIMIT_READS_PER_MIN: '100000',
        BATCH_CHUNK_SIZE: String(CHUNK_SIZE),
        // A killed worker's jobs come back within a few seconds.
        QUEUE_LOCK_MS: '2000',
      },
      ['--role', role],
    );

  const chunks = async (runId: string) =>
    (
      await db.query<ChunkRow>(
        "SELECT index, worker, done, completed, cursor #>> '{}' AS cursor FROM batch_run_chunks WHERE run_id = $1 ORDER BY index",
        [runId],
      )
    ).rows;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vireo-batch-procs-'));
    database = await createTestDatabase();
    // One at a time: the first applies the migrations, and a loaded machine boots slowly.
    web = await start('web');
    scheduler = await start('scheduler');
    workers.push(await start('worker'), await start('worker'));
    db = new Client({ connectionString: database.url });
    await db.connect();
    c = adminClient(web.url, ADMIN_API_KEY);

    const owner = await c.newUser(['images:write', 'images:read']);
    for (let i = 0; i < IMAGES; i += 10) {
      const uploads = Array.from({ length: 10 }, async (_, j) => {
        const colour = `#${(((i + j) * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}`;
        return (await c.upload(owner.headers, await testImages.jpeg(48, 32, colour))).id;
      });
      imageIds.push(...(await Promise.all(uploads)));
    }
    await c.processed(owner.headers, imageIds, 180_000);
    imageIds = imageIds.sort();
  }, 300_000);

  afterAll(async () => {
    await db?.end();
    await Promise.all([web, scheduler, ...workers].map((process) => process?.stop('SIGKILL')));
    await Promise.all([database?.drop(), deleteRedisKeys(redis)]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers the cron schedules of the batch jobs in Redis (scheduler role)', async () => {
    const queue = new Queue('batch', { connection: { url: redis.url }, prefix: redis.prefix });
    try {
      const schedulers = await eventually(async () => {
        const found = await queue.getJobSchedulers();
        return found.length >= 2 ? found : undefined;
      }, 30_000);
      expect(
        Object.fromEntries(schedulers.map((s) => [s.key, { pattern: s.pattern, tz: s.tz }])),
      ).toEqual({
        'batch.daily-report': { pattern: '15 0 * * *', tz: 'UTC' },
        'batch.retention': { pattern: '30 0 * * *', tz: 'UTC' },
      });
    } finally {
      await queue.close();
    }
  });

  it('spreads chunks over both workers, and a worker SIGKILLed mid-chunk is resumed at its cursor by the other', async () => {
    const run = await c.startBatch('compute-embeddings', { force: true });
    // The moment a chunk has committed a checkpoint but not finished: kill its worker.
    const { victim, atKill } = await eventually(
      async () => {
        const rows = await chunks(run.id);
        const halfway = rows.find((row) => row.cursor !== null && !row.completed);
        if (!halfway) return undefined;
        const victim = workers.find((w) => halfway.worker?.endsWith(`:${w.child.pid}`));
        if (!victim) return undefined;
        victim.child.kill('SIGKILL');
        return { victim, atKill: { rows, chunk: halfway } };
      },
      120_000,
      20,
    );
    await victim.stop();
    const tookChunks = new Set(atKill.rows.map((row) => row.worker).filter(Boolean));
    expect(tookChunks.size).toBe(2);

    const finished = await c.finishedRun(run.id, 120_000);
    expect(finished).toMatchObject({
      status: 'completed',
      progress: { percent: 100, done: IMAGES, total: IMAGES, counters: { embedded: IMAGES } },
      chunks: { total: IMAGES / CHUNK_SIZE, completed: IMAGES / CHUNK_SIZE },
    });
    const after = await chunks(run.id);
    const resumed = after[atKill.chunk.index];
    const survivor = workers.find((w) => w !== victim)!;
    // Taken over, and not started over: a fresh start would have counted its first pages again.
    expect(resumed).toMatchObject({ completed: true, done: CHUNK_SIZE });
    expect(resumed.worker).toMatch(new RegExp(`:${survivor.child.pid}$`));
    expect(atKill.chunk.done).toBeGreaterThan(0);
    const embeddings = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM embeddings WHERE image_id = ANY($1::uuid[])',
      [imageIds],
    );
    expect(Number(embeddings.rows[0].n)).toBe(IMAGES);
    workers.splice(workers.indexOf(victim), 1, await start('worker'));
  }, 300_000);

  it('backfills a newly promoted head on every image once, and a second run finds nothing to do', async () => {
    const kernel = Float32Array.from({ length: EMBEDDING_SIZE * 2 }, (_, i) =>
      i % 2 === 0 ? 0.01 * ((i % 7) - 3) : -0.01 * ((i % 5) - 2),
    );
    const [modelJson, weights] = graphHead(
      { kernel, bias: new Float32Array([0.1, -0.1]) },
      HEAD_LABELS,
    );
    const form = new FormData();
    for (const file of [modelJson, weights]) {
      form.append('files', new Blob([new Uint8Array(file.bytes)]), file.name);
    }
    const added = await c.api(`/v1/models/${HEAD}/versions`, { method: 'POST', body: form });
    expect(added.status).toBe(201);
    const promoted = await c.api(`/v1/models/${HEAD}/versions/1/promote`, { method: 'POST' });
    expect(promoted.status).toBe(200);
    const versionId = (
      await db.query<{ id: string }>(
        "SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = $1 AND v.status = 'production'",
        [HEAD],
      )
    ).rows[0].id;

    const first = await c.finishedRun(
      (await c.startBatch('backfill-predictions', { model: HEAD })).id,
    );
    expect(first).toMatchObject({
      status: 'completed',
      progress: {
        done: IMAGES,
        total: IMAGES,
        counters: { predicted: IMAGES, current: 0, missing: 0 },
      },
    });
    const perImage = await db.query<{ image_id: string; n: string; top: string }>(
      'SELECT image_id::text, count(*) AS n, min(top_label) AS top FROM predictions WHERE model_version_id = $1 GROUP BY image_id ORDER BY image_id',
      [versionId],
    );
    expect(perImage.rows.map((row) => row.image_id)).toEqual(imageIds);
    expect(perImage.rows.every((row) => row.n === '1' && HEAD_LABELS.includes(row.top))).toBe(true);

    const second = await c.finishedRun(
      (await c.startBatch('backfill-predictions', { model: HEAD })).id,
    );
    expect(second.progress.counters).toEqual({ predicted: 0, current: IMAGES, missing: 0 });
  }, 300_000);
});
