import { Queue } from 'bullmq';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { eventually } from './support/eventually';
import { testImages } from './support/images';
import { RunningNginx, startNginx } from './support/nginx';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';
import { openEventStream } from './support/sse';
import { freePort, startVireo, VireoProcess } from './support/vireo-process';

const ADMIN_API_KEY = 'vir_rtprocadmin_0123456789abcdefghijABCDEFGHIJ';
const UPLOADS = 100;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/**
 * The built binary as deployed: a web process behind nginx (docker/nginx.conf) and a worker
 * process, sharing PostgreSQL, Redis and a directory of objects. Events cross from the worker
 * to the web process over Redis pub/sub; a worker killed mid-batch loses nothing.
 */
describe('realtime across processes: web behind nginx, worker killed mid-batch', () => {
  const redis = testRedis();
  let dataDir: string;
  let database: TestDatabase;
  let db: Client;
  let web: VireoProcess;
  const workers: VireoProcess[] = [];
  let nginx: RunningNginx;
  let viaNginx: string;
  let queue: Queue;

  const start = (role: string) =>
    startVireo(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        SIGNING_SECRET: 'realtime-processes-signing-secret',
        ADMIN_API_KEY,
        INFERENCE_THREADS: '1',
        RATE_LIMIT_UPLOADS_PER_MIN: '100000',
        RATE_LIMIT_READS_PER_MIN: '100000',
        // A killed worker's jobs come back within a few seconds.
        QUEUE_LOCK_MS: '2000',
      },
      ['--role', role],
    );

  const api = async (path: string, init: RequestInit = {}, base = web.url) => {
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: { 'x-api-key': ADMIN_API_KEY, ...init.headers },
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  const upload = async (bytes: Buffer, base = web.url): Promise<string> => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'photo.jpg');
    const res = await api('/v1/images', { method: 'POST', body: form }, base);
    expect(res.status).toBe(202);
    return res.body.id;
  };

  const count = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string }>(sql)).rows[0].n);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vireo-rt-procs-'));
    database = await createTestDatabase();
    web = await start('web');
    workers.push(await start('worker'));
    const port = await freePort();
    nginx = await startNginx([`127.0.0.1:${web.port}`], port);
    viaNginx = `http://127.0.0.1:${port}`;
    db = new Client({ connectionString: database.url });
    await db.connect();
    queue = new Queue('process-image', { connection: { url: redis.url }, prefix: redis.prefix });
  });
  afterAll(async () => {
    await queue?.close();
    await db?.end();
    await nginx?.stop();
    await Promise.all([web?.stop(), ...workers.map((worker) => worker.stop())]);
    await Promise.all([database?.drop(), deleteRedisKeys(redis)]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('streams through nginx what the worker process does: state, status and predictions, then the end', async () => {
    await queue.pause();
    const id = await upload(await testImages.jpeg(48, 32, '#113355'), viaNginx);
    const stream = await openEventStream(`${viaNginx}/v1/images/${id}/events`, {
      'x-api-key': ADMIN_API_KEY,
    });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const state = await stream.next((e) => e.event === 'state');
    expect(state.data).toMatchObject({ id, status: 'uploaded' });
    await queue.resume();
    await stream.ended;
    expect(stream.events.map((e) => (e.data as { status?: string }).status ?? e.event)).toEqual([
      'uploaded',
      'processing',
      'prediction',
      'processed',
    ]);

    const later = await openEventStream(`${viaNginx}/v1/images/${id}/events`, {
      'x-api-key': ADMIN_API_KEY,
    });
    await later.ended;
    expect(later.events).toEqual([
      { event: 'state', data: expect.objectContaining({ id, status: 'processed' }) },
    ]);
  });

  it(`processes all of ${UPLOADS} uploads once each when the worker is SIGKILLed mid-batch`, async () => {
    const user = await api('/v1/admin/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `batch-${Date.now()}@example.com`, password: 'p'.repeat(16) }),
    });
    const key = await api('/v1/keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'batch',
        scopes: ['images:write', 'images:read'],
        ownerId: user.body.id,
      }),
    });
    const owner = { 'x-api-key': key.body.key as string };
    const ids: string[] = [];
    for (let i = 0; i < UPLOADS; i += 10) {
      const batch = Array.from({ length: 10 }, async (_, j) => {
        const colour = `#${(((i + j) * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}`;
        const form = new FormData();
        const bytes = await testImages.jpeg(16, 16, colour);
        form.append('file', new Blob([new Uint8Array(bytes)]), 'p.jpg');
        const res = await fetch(`${web.url}/v1/images`, {
          method: 'POST',
          body: form,
          headers: owner,
        });
        expect(res.status).toBe(202);
        return ((await res.json()) as { id: string }).id;
      });
      ids.push(...(await Promise.all(batch)));
    }
    const ownerImages = `FROM images WHERE owner_id = '${user.body.id}'`;
    await eventually(
      async () =>
        (await count(`SELECT count(*) AS n ${ownerImages} AND status = 'processed'`)) >= 10
          ? true
          : undefined,
      30_000,
      20,
    );
    await workers[0].stop('SIGKILL');
    const left = await count(`SELECT count(*) AS n ${ownerImages} AND status <> 'processed'`);
    expect(left).toBeGreaterThan(0);

    workers.push(await start('worker'));
    await eventually(
      async () =>
        (await count(`SELECT count(*) AS n ${ownerImages} AND status = 'processed'`)) === UPLOADS
          ? true
          : undefined,
      45_000,
      200,
    );
    const models = await count(
      `SELECT count(*) AS n FROM model_versions WHERE status = 'production'`,
    );
    const perImage = await db.query<{ image_id: string; n: string }>(
      `SELECT i.id AS image_id, count(p.id) AS n FROM images i LEFT JOIN predictions p ON p.image_id = i.id
       WHERE i.owner_id = $1 GROUP BY i.id`,
      [user.body.id],
    );
    expect(perImage.rows).toHaveLength(UPLOADS);
    expect(new Set(perImage.rows.map((row) => Number(row.n)))).toEqual(new Set([models]));
    const stats = await fetch(`${web.url}/v1/stats`, { headers: owner });
    const { days } = (await stats.json()) as {
      days: { uploads: number; processed: number; failed: { total: number } }[];
    };
    expect(days.at(-1)).toMatchObject({
      uploads: UPLOADS,
      processed: UPLOADS,
      failed: { total: 0 },
    });
    expect(new Set(ids).size).toBe(UPLOADS);
  });
});
