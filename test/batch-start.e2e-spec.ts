import { DatabaseClient } from '../src/modules/persistence/database/database-client';
import { BatchLauncher } from '../src/modules/batch/batch-launcher';
import { BatchSteps } from '../src/modules/batch/batch-steps';
import { DailyReportService } from '../src/modules/batch/reports/daily-report.service';
import { JobQueue } from '../src/modules/queue/job-queue';
import { EMBEDDING_SIZE } from '../src/modules/model';
import { adminClient } from './support/admin-client';
import { bootListeningApp, TestApp } from './support/app';
import { graphHead } from './support/model-artifacts';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';

const ADMIN_KEY = 'vir_batchstartadmin_0123456789abcdefghijABCDEFG';
const CONCURRENT = 6;

/**
 * Starting batch runs: options checked against the data at request time, and one queued or
 * running run per job and subject however many identical starts race. The web role on
 * PostgreSQL and Redis with no worker, so every run stays queued while the tests look.
 */
describe('Starting batch runs (web role, PostgreSQL, Redis)', () => {
  const redis = testRedis();
  let database: TestDatabase;
  let app: TestApp;
  let c: ReturnType<typeof adminClient>;

  const post = (job: string, body: string) =>
    c.api(`/v1/admin/batch/${job}`, { method: 'POST', body });
  const runCount = (job: string) =>
    app.app.get(DatabaseClient).prisma.batchRun.count({ where: { job } });

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await bootListeningApp({
      ROLE: 'web',
      ADMIN_API_KEY: ADMIN_KEY,
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
    });
    c = adminClient(app.config.http.publicUrl, ADMIN_KEY);
    const pets = await c.api('/v1/models', {
      method: 'POST',
      body: JSON.stringify({ name: 'pets', kind: 'classifier', labels: ['cat', 'dog'] }),
    });
    expect(pets.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await deleteRedisKeys(redis);
  });

  it.each([
    ['train-classifier', '{"model":"nope"}', 404, 'model_not_found'],
    ['train-classifier', '{"model":"../x"}', 404, 'model_not_found'],
    ['train-classifier', '{"model":"moderation"}', 409, 'model_not_trainable'],
    ['backfill-predictions', '{"model":"nope"}', 404, 'model_not_found'],
    ['backfill-predictions', '{"model":"pets"}', 409, 'no_production_version'],
    ['daily-report', '{"day":"0000-01-01"}', 400, 'invalid_date'],
    ['daily-report', '{"day":"9999-12-31"}', 400, 'invalid_batch_options'],
  ])('refuses %s %s at once: %i %s, and makes no run', async (job, body, status, code) => {
    const before = await runCount(job);
    const answer = await post(job, body);
    expect([answer.status, answer.body.error?.code]).toEqual([status, code]);
    expect(answer.body.error.requestId).toEqual(expect.any(String));
    expect(await runCount(job)).toBe(before);
  });

  it('does not start the internal erase-account job', async () => {
    const answer = await post(
      'erase-account',
      '{"erasureId":"0190a000-0000-7000-8000-000000000000"}',
    );
    expect([answer.status, answer.body.error?.code]).toEqual([404, 'batch_job_not_found']);
    expect(await runCount('erase-account')).toBe(0);
  });

  it.each([
    ['train-classifier', '{"model":"pets"}'],
    ['train-classifier', '{}'],
    ['daily-report', '{"day":"2026-01-15"}'],
    ['backfill-predictions', '{"model":"moderation"}'],
    ['compute-embeddings', '{}'],
    ['retention', '{"dryRun":true}'],
  ])('answers %s %s started concurrently with one run', async (job, body) => {
    const before = await runCount(job);
    const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => post(job, body)));
    expect(answers.map((a) => a.status)).toEqual(Array(CONCURRENT).fill(202));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await runCount(job)).toBe(before + 1);
    // A retry later gets the same run while it is queued.
    expect((await post(job, body)).body.id).toBe(answers[0].body.id);
  });

  it('gives rounds on two workers the queued run of a model instead of a second one', async () => {
    const launcher = app.app.get(BatchLauncher);
    const asked = await post('train-classifier', '{"model":"pets"}');
    const rounds = await Promise.all(
      ['round-a', 'round-b'].map((round) =>
        launcher.start('train-classifier', { model: 'pets' }, { triggerKey: `${round}.pets` }),
      ),
    );
    expect(rounds.map((run) => run.id)).toEqual([asked.body.id, asked.body.id]);
  });

  it('keeps other subjects apart: another day or model is another run', async () => {
    const a = await post('daily-report', '{"day":"2026-02-01"}');
    const b = await post('daily-report', '{"day":"2026-02-02"}');
    const none = await post('daily-report', '{}');
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const explicit = await post('daily-report', JSON.stringify({ day: yesterday }));
    expect(new Set([a.body.id, b.body.id, none.body.id]).size).toBe(3);
    expect(explicit.body.id).toBe(none.body.id);
    // The subject of a backfill is the versions it predicts with: only moderation's here.
    const every = await post('backfill-predictions', '{}');
    const moderation = await post('backfill-predictions', '{"model":"moderation"}');
    expect([every.status, every.body.id]).toEqual([202, moderation.body.id]);
  });

  it('starts a backfill of a newly promoted version although one of the version before is queued', async () => {
    const promoteNewVersion = async (version: number) => {
      const form = new FormData();
      const files = graphHead(
        {
          kernel: new Float32Array(EMBEDDING_SIZE * 2).fill(0.01 * version),
          bias: new Float32Array([0.1, -0.1]),
        },
        ['sparrow', 'robin'],
      );
      for (const file of files) {
        form.append('files', new Blob([new Uint8Array(file.bytes)]), file.name);
      }
      const added = await c.api('/v1/models/birds/versions', { method: 'POST', body: form });
      expect(added.status).toBe(201);
      const promote = `/v1/models/birds/versions/${version}/promote`;
      expect((await c.api(promote, { method: 'POST' })).status).toBe(200);
    };
    await promoteNewVersion(1);
    const before = await post('backfill-predictions', '{"model":"birds"}');
    await promoteNewVersion(2);
    const after = await post('backfill-predictions', '{"model":"birds"}');
    expect([after.status, after.body.status]).toEqual([202, 'queued']);
    expect(after.body.id).not.toBe(before.body.id);
  });

  it('starts one erase-account run for concurrent erasures of one user', async () => {
    const user = await c.newUser(['images:read']);
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT + 1 }, () =>
        c.api(`/v1/admin/users/${user.id}`, { method: 'DELETE' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(CONCURRENT + 1).fill(202));
    expect(new Set(answers.map((a) => a.body.erasureId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.runId)).size).toBe(1);
    expect(await runCount('erase-account')).toBe(1);
  });

  it('rebuilds one day concurrently without a unique-constraint error', async () => {
    const reports = app.app.get(DailyReportService);
    const builds = await Promise.allSettled(
      Array.from({ length: CONCURRENT }, () => reports.build('2026-03-01')),
    );
    expect(builds.filter((b) => b.status === 'rejected')).toEqual([]);
    const rows = await app.app
      .get(DatabaseClient)
      .prisma.dailyReport.count({ where: { day: new Date('2026-03-01T00:00:00Z') } });
    expect(rows).toBe(1);
  });
});

describe('Starting batch runs on the embedded defaults (PGlite, in-process queue)', () => {
  let app: TestApp;
  let c: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    app = await bootListeningApp({
      ADMIN_API_KEY: ADMIN_KEY,
      BATCH_CRON_RETENTION: 'off',
      BATCH_CRON_DAILY_REPORT: 'off',
      QUEUE_ATTEMPTS: '1',
    });
    c = adminClient(app.config.http.publicUrl, ADMIN_KEY);
  }, 120_000);
  afterAll(() => app?.close());

  it('answers concurrent identical starts with one run, and a start after it ended with a new one', async () => {
    const jobs = app.app.get(JobQueue);
    await jobs.pause('batch');
    const answers = await Promise.all(
      Array.from({ length: CONCURRENT }, () =>
        c.api('/v1/admin/batch/daily-report', { method: 'POST', body: '{"day":"2026-01-15"}' }),
      ),
    ).finally(() => jobs.resume('batch'));
    expect(answers.map((a) => a.status)).toEqual(Array(CONCURRENT).fill(202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(await c.finishedRun(answers[0].body.id)).toMatchObject({ status: 'completed' });
    const again = await c.startBatch('daily-report', { day: '2026-01-15' });
    expect(ids.has(again.id)).toBe(false);
  });

  it('fails a run on an unexpected error with a generic message, never the driver’s text', async () => {
    const run = await app.app.get(DatabaseClient).prisma.batchRun.create({
      data: { job: 'daily-report', options: { day: '0000-01-01' } },
    });
    await app.app.get(BatchSteps).queueRun(run.id);
    const failed = await c.finishedRun(run.id);
    expect(failed).toMatchObject({
      status: 'failed',
      error: 'Internal error (details in the worker log)',
    });
  });
});
