import { DatabaseClient } from '../src/modules/persistence/database/database-client';
import { BACKBONE_NAME } from '../src/modules/model/registry/bundled-model';
import { BatchJobRegistry } from '../src/modules/batch/batch-job-registry';
import { eventually } from './support/eventually';
import { adminClient } from './support/admin-client';
import { bootListeningApp, TestApp } from './support/app';
import { testImages } from './support/images';

const ADMIN_KEY = 'vir_batchadmin_0123456789abcdefghijABCDEFGHIJ';

describe('Batch runs on the embedded defaults (in-process queue and flows, PGlite)', () => {
  let app: TestApp;
  let c: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    app = await bootListeningApp({
      ADMIN_API_KEY: ADMIN_KEY,
      BATCH_CHUNK_SIZE: '2',
      // Every two seconds (cron with seconds), to see the in-process schedule fire.
      BATCH_CRON_RETENTION: '*/2 * * * * *',
    });
    c = adminClient(app.config.http.publicUrl, ADMIN_KEY);
  }, 60_000);
  afterAll(() => app?.close());

  it('answers 404 with a code for a job no handler registers, and 400 for options it refuses', async () => {
    const unknown = await c.api('/v1/admin/batch/no-such-job', { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'batch_job_not_found' });

    for (const body of ['{"force":"yes"}', '{"unknownOption":1}', '[1,2]', '"text"']) {
      const bad = await c.api('/v1/admin/batch/compute-embeddings', { method: 'POST', body });
      expect({ body, status: bad.status, code: bad.body.error?.code }).toEqual({
        body,
        status: 400,
        code: 'invalid_batch_options',
      });
    }
    const missing = await c.api('/v1/admin/batch/runs/0190a000-0000-7000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'batch_run_not_found' });
  });

  it('is for admins only', async () => {
    const owner = await c.newUser(['images:write', 'images:read']);
    const start = await c.api('/v1/admin/batch/compute-embeddings', {
      method: 'POST',
      body: '{}',
      as: owner.headers,
    });
    expect(start.status).toBe(403);
    expect((await c.api('/v1/admin/batch/runs', { as: owner.headers })).status).toBe(403);
  });

  it('computes missing embeddings in chunk jobs, with progress, counters and timings', async () => {
    const owner = await c.newUser(['images:write', 'images:read']);
    const images = [];
    for (const background of ['#112233', '#445566', '#778899']) {
      images.push(await c.upload(owner.headers, await testImages.jpeg(64, 48, background)));
    }
    const ids = images.map((image) => image.id);
    await c.processed(owner.headers, ids);
    const prisma = app.app.get(DatabaseClient).prisma;
    const processedCount = await prisma.image.count({ where: { status: 'processed' } });
    await prisma.embedding.deleteMany({ where: { imageId: { in: ids.slice(0, 2) } } });

    const started = await c.startBatch('compute-embeddings');
    expect(started).toMatchObject({ job: 'compute-embeddings', status: 'queued' });
    const run = await c.finishedRun(started.id);

    expect(run).toMatchObject({
      status: 'completed',
      error: null,
      requestedBy: expect.stringMatching(/^api_key:/),
      progress: {
        percent: 100,
        done: processedCount,
        total: processedCount,
        counters: { embedded: 2, present: processedCount - 2, missing: 0 },
      },
      chunks: { total: Math.ceil(processedCount / 2), completed: Math.ceil(processedCount / 2) },
    });
    expect(new Date(run.finishedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(run.startedAt).getTime(),
    );
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    const embeddings = await prisma.embedding.findMany({
      where: { imageId: { in: ids }, model: BACKBONE_NAME },
    });
    expect(embeddings.map((row) => row.imageId).sort()).toEqual([...ids].sort());

    const list = await c.api('/v1/admin/batch/runs?job=compute-embeddings&limit=10');
    expect(list.status).toBe(200);
    expect(list.body.items.map((item: { id: string }) => item.id)).toContain(started.id);
    const none = await c.api('/v1/admin/batch/runs?job=daily-report');
    expect(none.body).toEqual({ items: [], nextCursor: null });
  }, 120_000);

  it('starts scheduled jobs in-process; a job without a handler in this build gets a failed run saying so', async () => {
    const scheduled = await eventually(
      async () => {
        const res = await c.api('/v1/admin/batch/runs?job=retention&limit=1');
        return res.body.items[0];
      },
      20_000,
      200,
    );
    expect(scheduled).toMatchObject({ job: 'retention', requestedBy: 'schedule' });
    if (app.app.get(BatchJobRegistry).find('retention')) {
      expect(['queued', 'running', 'completed']).toContain(scheduled.status);
    } else {
      expect(scheduled).toMatchObject({
        status: 'failed',
        error: 'No handler is registered for batch job "retention"',
      });
    }
  });
});
