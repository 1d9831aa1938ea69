import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { BatchReconciler } from '../src/modules/batch/batch-reconciler';
import { DatabaseClient } from '../src/modules/persistence/database/database-client';
import { JobQueue } from '../src/modules/queue/job-queue';
import { adminClient } from './support/admin-client';
import { bootListeningApp, TestApp } from './support/app';
import { eventually, sleep } from './support/eventually';
import { testImages } from './support/images';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';

const ADMIN_KEY = 'vir_batchrecov_0123456789abcdefghijABCDEFGHIJ';
const IMAGES = 10;
const CHUNK_SIZE = 2;
const CHUNKS = IMAGES / CHUNK_SIZE;
const MAX_STARTS = 3;

interface ChunkRow {
  index: number;
  completed: boolean;
  done: number;
  /** When it was last started or checkpointed. */
  updated_at: Date;
}

/**
 * What brings batch runs back when their queue jobs are gone, what ends a chunk that keeps
 * losing its worker, what a scheduled `train-classifier` trains, and schedules turned off:
 * one process (every role) on PostgreSQL and Redis, under a Redis key prefix of its own.
 */
describe('Batch recovery and schedules on PostgreSQL and Redis', () => {
  const redis = testRedis();
  let database: TestDatabase;
  let app: TestApp;
  let c: ReturnType<typeof adminClient>;
  let jobs: JobQueue;
  let reconciler: BatchReconciler;
  let owner: { id: string; headers: Record<string, string> };
  const imageIds: string[] = [];
  const batchQueue = () =>
    new Queue('batch', { connection: { url: redis.url }, prefix: redis.prefix });

  const chunkRows = async (runId: string) =>
    app.app.get(DatabaseClient).prisma.$queryRaw<ChunkRow[]>`
      SELECT index, completed, done, updated_at FROM batch_run_chunks
      WHERE run_id = ${runId}::uuid ORDER BY index`;

  /** Starts a run over every image and holds the batch queue once a chunk has completed. */
  const runHeldMidway = async () => {
    const run = await c.startBatch('compute-embeddings', { force: true });
    await eventually(
      async () => ((await chunkRows(run.id)).some((row) => row.completed) ? true : undefined),
      120_000,
      20,
    );
    await jobs.pause('batch');
    await eventually(
      async () => ((await jobs.counts('batch')).active === 0 ? true : undefined),
      60_000,
    );
    const rows = await chunkRows(run.id);
    expect(rows.filter((row) => row.completed).length).toBeGreaterThan(0);
    expect(rows.filter((row) => !row.completed).length).toBeGreaterThan(0);
    return { run, rows };
  };

  const expectCountedOnce = (run: Record<string, unknown>) =>
    expect(run).toMatchObject({
      status: 'completed',
      progress: { done: IMAGES, total: IMAGES, counters: { embedded: IMAGES } },
      chunks: { total: CHUNKS, completed: CHUNKS },
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    // A schedule an earlier boot registered, set `off` since.
    const queue = batchQueue();
    await queue.upsertJobScheduler(
      'batch.train-classifier',
      { pattern: '0 3 * * *', tz: 'UTC' },
      { name: 'batch', data: { step: 'start', job: 'train-classifier' } },
    );
    await queue.close();
    app = await bootListeningApp({
      ADMIN_API_KEY: ADMIN_KEY,
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      BATCH_CHUNK_SIZE: String(CHUNK_SIZE),
      BATCH_CRON_RETENTION: 'off',
      BATCH_MAX_STARTS: String(MAX_STARTS),
      // Passes are run by the tests; a run is looked at once it is a second old.
      RECONCILE_INTERVAL_S: '3600',
      RECONCILE_STALE_S: '1',
      TRAIN_EPOCHS: '3',
    });
    c = adminClient(app.config.http.publicUrl, ADMIN_KEY);
    jobs = app.app.get(JobQueue);
    reconciler = app.app.get(BatchReconciler);
    owner = await c.newUser(['images:write', 'images:read']);
    for (let i = 0; i < IMAGES; i++) {
      const colour = `#${((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}`;
      imageIds.push((await c.upload(owner.headers, await testImages.jpeg(48, 32, colour))).id);
    }
    await c.processed(owner.headers, imageIds, 180_000);
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all([database?.drop(), deleteRedisKeys(redis)]);
  });

  it('removes a job scheduler an earlier boot stored for a schedule now off, and keeps the others', async () => {
    const queue = batchQueue();
    try {
      const ids = await eventually(async () => {
        const found = (await queue.getJobSchedulers()).map((scheduler) => scheduler.key);
        const settled =
          found.includes('batch.daily-report') && !found.includes('batch.train-classifier');
        return settled ? found : undefined;
      }, 30_000);
      expect(ids).toEqual(['batch.daily-report']);
    } finally {
      await queue.close();
    }
  });

  it('resumes a run whose jobs vanished with Redis from its checkpoints, counting each image once', async () => {
    const { run, rows } = await runHeldMidway();
    // Redis as after a restart with nothing kept (the pause goes with it).
    await deleteRedisKeys(redis);
    await sleep(1_500);
    // Nothing runs it by itself.
    expect(await jobs.status('batch', `${run.id}.finish`)).toBeNull();
    expect(await chunkRows(run.id)).toEqual(rows);

    expect(await reconciler.reconcile()).toEqual({ checked: 1, requeued: 1, busy: 0 });
    expectCountedOnce(await c.finishedRun(run.id));
    const after = await chunkRows(run.id);
    expect(after.map((row) => row.done)).toEqual(Array(CHUNKS).fill(CHUNK_SIZE));
    // Chunks completed before were not started again.
    for (const before of rows.filter((row) => row.completed)) {
      expect(after[before.index].updated_at).toEqual(before.updated_at);
    }
    // Looked at again, a finished run is left alone.
    await sleep(1_100);
    expect(await reconciler.reconcile()).toEqual({ checked: 0, requeued: 0, busy: 0 });
  }, 240_000);

  it('queues a run a start recorded while the queue was down (503), once the queue is back', async () => {
    // What BatchLauncher leaves when queueing its first step fails: the run row, no job.
    const run = await app.app.get(DatabaseClient).prisma.batchRun.create({
      data: { job: 'daily-report', options: { day: '2026-01-20' }, dedupKey: '2026-01-20' },
    });
    await sleep(1_100);
    expect(await reconciler.reconcile()).toEqual({ checked: 1, requeued: 1, busy: 0 });
    expect(await c.finishedRun(run.id)).toMatchObject({ status: 'completed' });
  }, 120_000);

  it('resumes a run whose chunk failed for good in the queue without running (stalled too often)', async () => {
    // A job whose worker died more than `maxStalledCount` times goes back to wait marked to
    // fail: the next worker to take it fails it (unrecoverable) without running it. This one
    // does that to a chunk.
    const rogue = new Worker('batch', null, {
      connection: { url: redis.url },
      prefix: redis.prefix,
      autorun: false,
    });
    try {
      const run = await c.startBatch('compute-embeddings', { force: true });
      const token = randomUUID();
      const taken = await eventually(
        async () => {
          if ((await chunkRows(run.id)).length === 0) return undefined;
          return (await rogue.getNextJob(token, { block: false })) ?? undefined;
        },
        120_000,
        20,
      );
      expect(taken.data).toMatchObject({ step: 'chunk', runId: run.id });
      await taken.moveToFailed(
        new UnrecoverableError('job stalled more than allowable limit'),
        token,
      );
      const lost = taken.data.chunk as number;
      // The other chunks complete; the run waits for a parent that has failed.
      await eventually(async () => {
        const counts = await jobs.counts('batch');
        return counts.active + counts.waiting === 0 ? true : undefined;
      }, 120_000);
      expect(await jobs.status('batch', `${run.id}.finish`)).toBe('failed');
      const rows = await chunkRows(run.id);
      expect(rows.filter((row) => !row.completed).map((row) => row.index)).toEqual([lost]);
      expect((await c.api(`/v1/admin/batch/runs/${run.id}`)).body.status).toBe('running');

      await sleep(1_100); // a pass looks at runs at least RECONCILE_STALE_S old
      const pass = await reconciler.reconcile();
      expect(pass).toMatchObject({ requeued: 1, busy: 0 });
      expectCountedOnce(await c.finishedRun(run.id));
      expect((await chunkRows(run.id))[lost]).toMatchObject({ completed: true, done: CHUNK_SIZE });
    } finally {
      await rogue.close();
    }
  }, 240_000);

  it('fails a run whose chunk was started past BATCH_MAX_STARTS without a checkpoint, saying which and why', async () => {
    const { run, rows } = await runHeldMidway();
    // As if each chunk left had lost its worker that often already, getting nowhere.
    await app.app.get(DatabaseClient).prisma.$executeRaw`
      UPDATE batch_run_chunks SET starts_since_checkpoint = ${MAX_STARTS}
      WHERE run_id = ${run.id}::uuid AND NOT completed`;
    await jobs.resume('batch');
    const failed = await c.finishedRun(run.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(
      new RegExp(
        `^Given up: chunk \\d+ was started ${MAX_STARTS + 1} times since its last checkpoint ` +
          `\\(BATCH_MAX_STARTS is ${MAX_STARTS}\\)`,
      ),
    );
    const completedBefore = rows.filter((row) => row.completed).length;
    expect(failed.progress.done).toBe(completedBefore * CHUNK_SIZE);
  }, 240_000);

  it('trains, when started without a model (BATCH_CRON_TRAIN), each classifier with labels new since its last training', async () => {
    const create = (name: string, labels: string[]) =>
      c.api('/v1/models', {
        method: 'POST',
        body: JSON.stringify({ name, kind: 'classifier', labels }),
      });
    expect((await create('warmth', ['warm', 'cool'])).status).toBe(201);
    expect((await create('fruit', ['apple', 'pear'])).status).toBe(201);
    const labelled = await c.api('/v1/labels', {
      method: 'POST',
      body: JSON.stringify({
        items: imageIds.map((imageId, i) => ({ imageId, label: i % 2 ? 'warm' : 'cool' })),
      }),
    });
    expect(labelled.status).toBe(200);

    // What a firing of the schedule adds: a `start` step, under the firing's job id.
    await jobs.add(
      'batch',
      { step: 'start', job: 'train-classifier' },
      { jobId: 'batch.train-classifier.t1' },
    );
    const scheduled = await eventually(async () => {
      const res = await c.api('/v1/admin/batch/runs?job=train-classifier');
      return res.body.items.find((run: { options: object }) => !('model' in run.options));
    }, 30_000);
    const round = await c.finishedRun(scheduled.id);
    expect(round).toMatchObject({
      status: 'completed',
      requestedBy: 'schedule',
      result: {
        started: [{ model: 'warmth', runId: expect.any(String) }],
        skipped: [{ model: 'fruit', reason: expect.stringMatching(/at least two labels/) }],
      },
    });
    const training = await c.finishedRun(round.result.started[0].runId);
    expect(training).toMatchObject({
      status: 'completed',
      options: { model: 'warmth' },
      requestedBy: 'schedule',
      result: { model: 'warmth', version: 1, examples: IMAGES },
    });

    const again = await c.finishedRun((await c.startBatch('train-classifier', {})).id);
    expect(again.result.started).toEqual([]);
    expect(again.result.skipped).toEqual(
      expect.arrayContaining([
        { model: 'warmth', reason: expect.stringMatching(/^no image labelled since/) },
      ]),
    );

    const relabel = await c.api(`/v1/images/${imageIds[0]}/label`, {
      method: 'PUT',
      body: JSON.stringify({ label: 'warm' }),
    });
    expect(relabel.status).toBe(200);
    const third = await c.finishedRun((await c.startBatch('train-classifier', {})).id);
    expect(third.result.started.map((s: { model: string }) => s.model)).toEqual(['warmth']);
    expect(await c.finishedRun(third.result.started[0].runId)).toMatchObject({
      status: 'completed',
      result: { model: 'warmth', version: 2 },
    });
  }, 300_000);

  it("lists a model's training runs with their metrics, newest first", async () => {
    const res = await c.api('/v1/models/warmth/training-runs');
    expect(res.status).toBe(200);
    const runs = await c.api('/v1/admin/batch/runs?job=train-classifier&status=completed');
    const trainingIds = runs.body.items
      .filter((run: { options: { model?: string } }) => run.options.model === 'warmth')
      .map((run: { id: string }) => run.id);
    expect(res.body.items.map((run: { id: string }) => run.id)).toEqual(trainingIds);
    expect(res.body.items.map((run: { version: number }) => run.version)).toEqual([2, 1]);
    const [latest] = res.body.items;
    expect(latest).toMatchObject({
      model: 'warmth',
      status: 'succeeded',
      params: { epochs: 3 },
      sampleCount: IMAGES,
      error: null,
      durationMs: expect.any(Number),
      metrics: {
        accuracy: expect.any(Number),
        examplesPerLabel: { warm: 6, cool: 4 },
        lossPerEpoch: [expect.any(Number), expect.any(Number), expect.any(Number)],
        perLabel: {
          warm: {
            precision: expect.any(Number),
            recall: expect.any(Number),
            f1: expect.any(Number),
          },
          cool: { support: expect.any(Number) },
        },
        confusionMatrix: [
          [expect.any(Number), expect.any(Number)],
          [expect.any(Number), expect.any(Number)],
        ],
        gate: { promote: false, code: 'too_few_examples' },
      },
    });
    expect((await c.api('/v1/models/warmth/training-runs?limit=1')).body.items).toHaveLength(1);
    expect((await c.api('/v1/models/warmth/training-runs?limit=0')).status).toBe(400);
    const unknown = await c.api('/v1/models/no-such-model/training-runs');
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'model_not_found']);
    expect((await c.api('/v1/models/warmth/training-runs', { as: owner.headers })).status).toBe(
      403,
    );
  });
});
