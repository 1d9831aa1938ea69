/**
 * Serving throughput of `POST /v1/predict` (raw 640x480 JPEG bodies) at 1, 8 and 32
 * connections, with micro-batching on (BATCH_MAX_SIZE default) and off (BATCH_MAX_SIZE=1),
 * against the ceiling measured in the same run: the raw backbone (preprocessed tensors
 * straight into an inference pool of the app's size, no HTTP, no decoding). Then the p99 of
 * `GET /health/live` while 32 connections saturate inference (target < 50 ms).
 *
 *   node -r @swc-node/register bench/inference.ts     (BENCH_DURATION_S per run, default 10)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../src/config';
import { PIXELS_PER_IMAGE } from '../src/modules/model/runtime/bundled-mobilenet';
import { InferencePool } from '../src/modules/model/runtime/inference-pool';
import { ModelRuntime } from '../src/modules/model/runtime';
import { bootApp } from '../test/support/app';
import { freePort } from '../test/support/vireo-process';
import { photoLikeJpeg } from './support/images';
import { LoadResult, runLoad } from './support/load';
import { imagesPerSecond } from './support/throughput';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP_S = 3;
const CONNECTIONS = [1, 8, 32];
const ADMIN_KEY = 'vir_benchadmin_0123456789abcdefghijABCDEFGHIJ';
const FILE_BODY_REQUEST = join(__dirname, 'support', 'file-body-request.js');
/** The defaults the app boots with on this machine (threads, batch size). */
const DEFAULTS = AppConfig.fromEnv({});

/** Images/s of the backbone alone: batches of `batch` kept in flight on every thread. */
async function backboneCeiling(pool: InferencePool, batch: number): Promise<number> {
  const pixels = Float32Array.from({ length: batch * PIXELS_PER_IMAGE }, () => Math.random());
  // The pool takes the buffer over, so each call sends its own copy.
  const call = () => pool.run(pixels.slice(), batch);
  return imagesPerSecond({ inFlight: pool.size * 2, imagesPerCall: batch, call }, DURATION_S);
}

/** The best of one image per call and full batches, on a pool of the app's size. */
async function measureCeiling() {
  const { inferenceThreads: threads, batchMaxSize, backend } = DEFAULTS.model;
  const pool = await InferencePool.start({ threads, runtime: 'tfjs', backend });
  try {
    const rates = new Map<number, number>();
    for (const batch of [1, batchMaxSize]) rates.set(batch, await backboneCeiling(pool, batch));
    return { rates, best: Math.max(...rates.values()), backend: pool.engine.backend };
  } finally {
    await pool.close();
  }
}

/** The app listening on a port, with the given batch size; models loaded before it answers. */
async function servingApp(batchMaxSize: number) {
  const port = await freePort();
  const app = await bootApp({
    PORT: String(port),
    INFERENCE_THREADS: String(DEFAULTS.model.inferenceThreads),
    BATCH_MAX_SIZE: String(batchMaxSize),
    MODEL_PRELOAD: 'true',
    ADMIN_API_KEY: ADMIN_KEY,
    RATE_LIMIT_PREDICT_PER_MIN: '100000000',
  });
  await app.app.listen({ port, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${port}`;
  return { app, base, backend: () => app.app.get(ModelRuntime).engine?.backend };
}

/** The JPEG (at BENCH_BODY_PATH) as the raw body of every request. */
function predictLoad(base: string, connections: number, durationS: number) {
  return runLoad(`/v1/predict, ${connections} conn`, {
    url: `${base}/v1/predict`,
    method: 'POST',
    connections,
    durationS,
    headers: { 'content-type': 'image/jpeg', 'x-api-key': ADMIN_KEY },
    setupRequest: FILE_BODY_REQUEST,
  });
}

/** /v1/predict at every concurrency; with batchMaxSize 16, also /health/live under load. */
async function measureServing(batchMaxSize: number) {
  const { app, base, backend } = await servingApp(batchMaxSize);
  try {
    await predictLoad(base, 8, WARMUP_S);
    const runs: LoadResult[] = [];
    for (const connections of CONNECTIONS) {
      runs.push(await predictLoad(base, connections, DURATION_S));
    }
    return { runs, base, backend: backend(), close: () => app.close() };
  } catch (error) {
    await app.close();
    throw error;
  }
}

/** p99 of /health/live idle, then while 32 connections keep inference busy. */
async function livenessUnderLoad(base: string) {
  const live = (name: string) =>
    runLoad(name, { url: `${base}/health/live`, connections: 1, durationS: DURATION_S });
  const idle = await live('/health/live, idle');
  const [busy, load] = await Promise.all([
    live('/health/live, inference saturated'),
    predictLoad(base, 32, DURATION_S),
  ]);
  return { idle, busy, load };
}

const row = (r: LoadResult) => ({
  run: r.name,
  'req/s': Number(r.requestsPerSec.toFixed(1)),
  'p50 ms': r.p50Ms,
  'p99 ms': r.p99Ms,
  'errors+non2xx': r.errors + r.non2xx,
});

async function main(): Promise<void> {
  const jpeg = await photoLikeJpeg();
  const dir = await mkdtemp(join(tmpdir(), 'vireo-bench-inference-'));
  process.env.BENCH_BODY_PATH = join(dir, 'photo.jpg');
  await writeFile(process.env.BENCH_BODY_PATH, jpeg);
  try {
    await report(jpeg);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function report(jpeg: Buffer): Promise<void> {
  const { inferenceThreads, batchMaxSize, batchMaxDelayMs } = DEFAULTS.model;
  console.log(
    `${jpeg.length} B 640x480 JPEG; ${inferenceThreads} inference thread(s); ` +
      `BATCH_MAX_DELAY_MS ${batchMaxDelayMs}; ${DURATION_S} s per run; ` +
      `load average (1 min) ${loadavg()[0].toFixed(2)} on ${cpus().length} cores`,
  );

  const ceiling = await measureCeiling();
  const perBatch = [...ceiling.rates]
    .map(([batch, rate]) => `batch ${batch}: ${rate.toFixed(1)}`)
    .join(', ');
  console.log(
    `\nCeiling: raw backbone, tensors in, ${inferenceThreads} thread(s), no HTTP ` +
      `(${ceiling.backend}): ${ceiling.best.toFixed(1)} images/s (${perBatch})`,
  );

  const batched = await measureServing(batchMaxSize);
  const health = await livenessUnderLoad(batched.base);
  const backend = batched.backend;
  await batched.close();
  const unbatched = await measureServing(1);
  await unbatched.close();

  const servingRows = [
    ...batched.runs.map((r) => ({ ...r, name: `batch <= ${batchMaxSize}: ${r.name}` })),
    ...unbatched.runs.map((r) => ({ ...r, name: `batch 1: ${r.name}` })),
  ].map((r) => ({
    ...row(r),
    'vs ceiling': `${((r.requestsPerSec / ceiling.best) * 100).toFixed(0)}%`,
  }));
  console.log(`\nPOST /v1/predict (one image per request), backend ${backend}`);
  console.table(servingRows);

  const best = Math.max(...batched.runs.map((r) => r.requestsPerSec));
  const bestOff = Math.max(...unbatched.runs.map((r) => r.requestsPerSec));
  console.log(
    `Served/ceiling: ${(best / ceiling.best).toFixed(2)} with batching, ` +
      `${(bestOff / ceiling.best).toFixed(2)} without; ` +
      `batching on/off: ${(best / bestOff).toFixed(2)}x`,
  );

  console.log('\nLiveness while inference is saturated (target: p99 < 50 ms)');
  console.table([health.idle, health.busy, health.load].map(row));
  const p99 = health.busy.p99Ms;
  console.log(`/health/live p99 under load: ${p99} ms (${p99 < 50 ? 'meets' : 'MISSES'} < 50 ms)`);
  console.log(`Load average (1 min) at the end: ${loadavg()[0].toFixed(2)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
