/**
 * Batch work on the built binary as deployed (web, worker(s), PostgreSQL, Redis, objects on
 * a shared disk), each worker with one inference thread, runs in chunks of BENCH_IMAGES / 12:
 *
 * 1. Backfill: `backfill-predictions` of the bundled `moderation` model over BENCH_IMAGES
 *    images whose predictions of it were removed, so every image is read, decoded and run
 *    through the backbone (the batch lane) again: images/s with one and with two worker
 *    processes, in alternating rounds (medians), and worker CPU ms per image (from
 *    /proc/<pid>/stat, which swings less than wall time on a shared machine).
 * 2. Real-time while batch runs: uploads at a fixed rate (BENCH_RATE/s for BENCH_DURATION_S)
 *    through one worker, end-to-end p95 (upload accepted -> predictions stored), idle against
 *    while a backfill runs on the same worker, in alternating rounds.
 * 3. Training: `train-classifier` of a trainable classifier over the same images, labelled
 *    round-robin with TRAIN_LABELS: seconds per 1,000 labelled images (from the run's own
 *    `durationMs`) with every embedding computed first (the table emptied) and with them
 *    present, in alternating rounds; then the real-time p95 while a training run (embeddings
 *    computed) overlaps the window, against idle. The labels carry no signal (every image is
 *    the same photo), so no version is promoted and no backfill follows: the time is the
 *    job's own. Per 1,000 is scaled from BENCH_IMAGES, fixed costs included.
 *
 *   npm run build && node -r @swc-node/register bench/batch.ts
 *
 * BENCH_SECTIONS: comma-separated subset of `backfill,realtime,training` (default all three).
 *
 * Targets: 2 workers >= 1.5x one worker on backfill; training < 60 s per 1,000 images
 * including embeddings; real-time p95 at most 20% worse while batch work runs.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { sleep } from '../test/support/eventually';
import { createTestDatabase, TestDatabase } from '../test/support/postgres';
import { deleteRedisKeys, testRedis } from '../test/support/redis';
import { startVireo, VireoProcess } from '../test/support/vireo-process';
import { photoLikeJpeg } from './support/images';
import { runLoad } from './support/load';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BOUNDARY } = require('./support/unique-multipart-request.js') as { BOUNDARY: string };

const IMAGES = Number(process.env.BENCH_IMAGES ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const RATE = Number(process.env.BENCH_RATE ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ADMIN_KEY = 'vir_benchbatch_0123456789abcdefghijABCDEFGHIJ';
const SETUP_REQUEST = join(__dirname, 'support', 'unique-multipart-request.js');
const CLOCK_TICKS_PER_S = 100;
const CLASSIFIER = 'bench-classifier';
const TRAIN_LABELS = ['cat', 'dog', 'bird'];
const SECTIONS = (process.env.BENCH_SECTIONS ?? 'backfill,realtime,training').split(',');

interface Deployment {
  database: TestDatabase;
  db: Client;
  web: VireoProcess;
  workers: VireoProcess[];
  start: (role: 'web' | 'worker') => Promise<VireoProcess>;
  close: () => Promise<void>;
}

async function deploy(): Promise<Deployment> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vireo-bench-batch-'));
  const database = await createTestDatabase();
  const redis = testRedis();
  const start = (role: 'web' | 'worker') =>
    startVireo(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
        SIGNING_SECRET: 'bench-batch-signing-secret',
        ADMIN_API_KEY: ADMIN_KEY,
        INFERENCE_THREADS: '1',
        // 12 chunks of BENCH_IMAGES=300 for two workers to share evenly: at the default of
        // 100 a run had 3, so two workers could be at most 1.5x one (2 chunks against 3).
        BATCH_CHUNK_SIZE: String(Math.max(1, Math.ceil(IMAGES / 12))),
        RATE_LIMIT_UPLOADS_PER_MIN: '100000000',
        RATE_LIMIT_READS_PER_MIN: '100000000',
        LOG_LEVEL: 'info',
      },
      ['--role', role],
    );
  const [web, worker] = await Promise.all([start('web'), start('worker')]);
  const db = new Client({ connectionString: database.url });
  await db.connect();
  const deployment: Deployment = {
    database,
    db,
    web,
    workers: [worker],
    start,
    close: async () => {
      await db.end();
      await Promise.all([web, ...deployment.workers].map((p) => p.stop()));
      await Promise.all([database.drop(), deleteRedisKeys(redis)]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return deployment;
}

async function call(d: Deployment, path: string, init: RequestInit = {}, key = ADMIN_KEY) {
  const res = await fetch(`${d.web.url}${path}`, {
    ...init,
    headers: { 'x-api-key': key, ...init.headers },
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function newOwnerKey(d: Deployment, name: string): Promise<string> {
  const user = await call(
    d,
    '/v1/admin/users',
    json({ email: `${name}-${Date.now()}@bench.local`, password: 'p'.repeat(16) }),
  );
  const key = await call(
    d,
    '/v1/keys',
    json({ name, scopes: ['images:write', 'images:read'], ownerId: user.id }),
  );
  return key.key as string;
}

/**
 * Uploads `count` distinct photo-like JPEGs as a new owner and waits until the pipeline has
 * processed them; resolves to the owner's key.
 */
async function seedImages(d: Deployment, count: number): Promise<string> {
  const key = await newOwnerKey(d, 'seed');
  const jpeg = await photoLikeJpeg();
  for (let i = 0; i < count; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, async (_, j) => {
        const form = new FormData();
        const unique = Buffer.from(`seed-${i + j}`.padEnd(32, '.'));
        form.append('file', new Blob([new Uint8Array(Buffer.concat([jpeg, unique]))]), 'seed.jpg');
        await call(d, '/v1/images', { method: 'POST', body: form }, key);
      }),
    );
  }
  await until(
    async () =>
      (await countRows(d, "SELECT count(*) FROM images WHERE status = 'processed'")) >= count,
  );
  return key;
}

async function countRows(d: Deployment, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await d.db.query<{ count: string }>(sql, params)).rows[0].count);
}

async function until(done: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(200);
  }
}

/** User + system CPU seconds of a process so far. */
function cpuSeconds(process: VireoProcess): number {
  const fields = readFileSync(`/proc/${process.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** Removes the moderation model's predictions, so a backfill has every image to redo. */
async function forgetModeration(d: Deployment): Promise<void> {
  await d.db.query(
    "DELETE FROM predictions WHERE model_version_id IN (SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = 'moderation')",
  );
}

interface BackfillResult {
  imagesPerS: number;
  cpuMsPerImage: number;
  seconds: number;
}

/** Starts batch job `job` with `options`; resolves to the run's id. */
async function startRun(d: Deployment, job: string, options: unknown): Promise<string> {
  return (await call(d, `/v1/admin/batch/${job}`, json(options))).id as string;
}

/** The run once completed (throws if it failed). */
async function finishedRun(d: Deployment, id: string): Promise<Record<string, unknown>> {
  for (;;) {
    const run = await call(d, `/v1/admin/batch/runs/${id}`);
    if (run.status === 'failed') throw new Error(`run ${id} failed: ${run.error as string}`);
    if (run.status === 'completed') return run;
    await sleep(200);
  }
}

async function backfill(d: Deployment): Promise<BackfillResult> {
  await forgetModeration(d);
  const cpuBefore = d.workers.map(cpuSeconds);
  const run = await finishedRun(
    d,
    await startRun(d, 'backfill-predictions', { model: 'moderation' }),
  );
  const cpu = d.workers.reduce((sum, worker, i) => sum + cpuSeconds(worker) - cpuBefore[i], 0);
  const seconds = (run.durationMs as number) / 1000;
  const done = (run.progress as { done: number }).done;
  return { imagesPerS: done / seconds, cpuMsPerImage: (cpu * 1000) / done, seconds };
}

/** Uploads at RATE/s for DURATION_S; end-to-end p95 in ms of what they became. */
async function realtimeP95(d: Deployment, name: string): Promise<number> {
  const key = await newOwnerKey(d, name);
  const load = await runLoad(name, {
    url: `${d.web.url}/v1/images`,
    method: 'POST',
    connections: 2,
    durationS: DURATION_S,
    overallRate: RATE,
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'x-api-key': key },
    setupRequest: SETUP_REQUEST,
  });
  const owner = "(SELECT owner_id FROM api_keys WHERE prefix = split_part($1, '_', 2))";
  await until(
    async () =>
      (await countRows(
        d,
        `SELECT count(*) FROM images WHERE owner_id = ${owner} AND status IN ('processed', 'failed')`,
        [key],
      )) >= load.succeeded,
  );
  // numeric: pg hands it over as a string.
  const { rows } = await d.db.query<{ ms: string }>(
    `SELECT extract(epoch FROM processed_at - uploaded_at) * 1000 AS ms FROM images WHERE owner_id = ${owner} AND processed_at IS NOT NULL ORDER BY ms`,
    [key],
  );
  return Number(rows[Math.min(rows.length - 1, Math.ceil(0.95 * rows.length) - 1)].ms);
}

/**
 * Real-time p95 while the run `start` begins runs on the same worker (it must outlast the
 * window: `overlapped` says whether it did).
 */
async function realtimeP95During(d: Deployment, name: string, start: () => Promise<string>) {
  const id = await start();
  const p95 = await realtimeP95(d, name);
  const overlapped = (await call(d, `/v1/admin/batch/runs/${id}`)).status === 'running';
  await finishedRun(d, id);
  return { p95, overlapped };
}

const backfillRun = (d: Deployment) => async () => {
  await forgetModeration(d);
  return startRun(d, 'backfill-predictions', { model: 'moderation' });
};

/** A trainable classifier over the seeded images, each labelled (round-robin TRAIN_LABELS). */
async function labelSeeded(d: Deployment, ownerKey: string): Promise<void> {
  await call(d, '/v1/models', json({ name: CLASSIFIER, kind: 'classifier' }));
  const { rows } = await d.db.query<{ id: string }>('SELECT id FROM images ORDER BY id');
  for (let i = 0; i < rows.length; i += 100) {
    const items = rows
      .slice(i, i + 100)
      .map(({ id }, j) => ({ imageId: id, label: TRAIN_LABELS[(i + j) % TRAIN_LABELS.length] }));
    await call(d, '/v1/labels', json({ items }), ownerKey);
  }
}

const trainingRun = (d: Deployment, embeddings: 'computed' | 'present') => async () => {
  if (embeddings === 'computed') await d.db.query('DELETE FROM embeddings');
  return startRun(d, 'train-classifier', { model: CLASSIFIER });
};

/** Seconds per 1,000 labelled images of one training run. */
async function trainingSecondsPer1000(d: Deployment, embeddings: 'computed' | 'present') {
  const run = await finishedRun(d, await trainingRun(d, embeddings)());
  const result = run.result as { examples: number; embeddingsComputed: number };
  if (embeddings === 'computed' && result.embeddingsComputed !== result.examples) {
    throw new Error(`computed ${result.embeddingsComputed} of ${result.examples} embeddings`);
  }
  // ms per image is seconds per 1,000 images.
  return (run.durationMs as number) / result.examples;
}

/** Section 3: training time, and the real-time p95 while training runs. */
async function measureTraining(d: Deployment, ownerKey: string): Promise<void> {
  await labelSeeded(d, ownerKey);
  await trainingSecondsPer1000(d, 'present'); // warm-up: the training thread's TF.js
  const computed: number[] = [];
  const present: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    computed.push(await trainingSecondsPer1000(d, 'computed'));
    present.push(await trainingSecondsPer1000(d, 'present'));
  }
  console.log(
    `Training (train-classifier, ${IMAGES} images): seconds per 1,000 labelled images, embeddings ` +
      `computed ${computed.map((s) => s.toFixed(1)).join(', ')} (median ${median(computed).toFixed(1)}; ` +
      `target < 60), present ${present.map((s) => s.toFixed(1)).join(', ')} (median ${median(present).toFixed(1)})`,
  );
  await comparedP95(d, 'training', trainingRun(d, 'computed'));
}

/** Real-time p95 idle against while `start`'s runs work, alternating rounds. */
async function comparedP95(d: Deployment, work: string, start: () => Promise<string>) {
  const idle: number[] = [];
  const busy: number[] = [];
  let overlappedAll = true;
  for (let round = 0; round < ROUNDS; round++) {
    idle.push(await realtimeP95(d, `idle-${work}-${round}`));
    const under = await realtimeP95During(d, `${work}-${round}`, start);
    busy.push(under.p95);
    overlappedAll &&= under.overlapped;
  }
  console.log(
    `Real-time p95 at ${RATE} uploads/s: idle ${idle.map(Math.round).join(', ')} ms, during ${work} ` +
      `${busy.map(Math.round).join(', ')} ms; medians ${median(idle).toFixed(0)} / ${median(busy).toFixed(0)} ms: ` +
      `${(median(busy) / median(idle)).toFixed(2)}x (target <= 1.2x)` +
      (overlappedAll ? '' : ` (a ${work} run ended before its window: raise BENCH_IMAGES)`),
  );
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main(): Promise<void> {
  const d = await deploy();
  const jpegDir = await mkdtemp(join(tmpdir(), 'vireo-bench-batch-jpeg-'));
  process.env.BENCH_JPEG_PATH = join(jpegDir, 'bench.jpg');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(process.env.BENCH_JPEG_PATH, await photoLikeJpeg());
  try {
    console.log(
      `${IMAGES} 640x480 JPEGs; workers with 1 inference thread and BATCH_CONCURRENCY 1; ` +
        `${ROUNDS} rounds each; load average (1 min) ${loadavg()[0].toFixed(2)} on ${cpus().length} cores`,
    );
    const seedKey = await seedImages(d, IMAGES);

    if (SECTIONS.includes('backfill')) await measureBackfill(d);
    if (SECTIONS.includes('realtime')) await comparedP95(d, 'backfill', backfillRun(d));
    if (SECTIONS.includes('training')) await measureTraining(d, seedKey);

    console.log(`Load average (1 min) at the end: ${loadavg()[0].toFixed(2)}`);
  } finally {
    await d.close();
    await rm(jpegDir, { recursive: true, force: true });
  }
}

/** Section 1: backfill with one worker against two, alternating rounds. */
async function measureBackfill(d: Deployment): Promise<void> {
  const one: BackfillResult[] = [];
  const two: BackfillResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    one.push(await backfill(d));
    d.workers.push(await d.start('worker'));
    two.push(await backfill(d));
    await d.workers.pop()!.stop();
  }
  const rows = [
    ...one.map((r, i) => ({ run: `1 worker, round ${i + 1}`, ...fixed(r) })),
    ...two.map((r, i) => ({ run: `2 workers, round ${i + 1}`, ...fixed(r) })),
  ];
  console.table(rows);
  const oneMedian = median(one.map((r) => r.imagesPerS));
  const twoMedian = median(two.map((r) => r.imagesPerS));
  console.log(
    `Backfill (backbone): 1 worker ${oneMedian.toFixed(1)} images/s, 2 workers ${twoMedian.toFixed(1)} ` +
      `images/s: ${(twoMedian / oneMedian).toFixed(2)}x (target >= 1.5x); worker CPU per image ` +
      `${median(one.map((r) => r.cpuMsPerImage)).toFixed(0)} / ${median(two.map((r) => r.cpuMsPerImage)).toFixed(0)} ms`,
  );
}

function fixed(r: BackfillResult) {
  return {
    'images/s': Number(r.imagesPerS.toFixed(1)),
    'worker CPU ms/image': Number(r.cpuMsPerImage.toFixed(0)),
    seconds: Number(r.seconds.toFixed(1)),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
