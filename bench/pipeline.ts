/**
 * The realtime pipeline end to end on the embedded defaults (`ROLE=all`: uploads, queue,
 * decode, inference, persistence in one process): multipart uploads of 640x480 JPEGs at fixed
 * rates, a quarter, a half and all of the saturation rate (measured first, by offering more
 * than the pipeline can take). For each rate: sustained images/s (processed, from the first
 * upload accepted to the last result stored), end-to-end latency (upload
 * accepted -> predictions stored, from each image's `uploadedAt` and `processedAt`) p50, p95
 * and p99, and `/health/live` p99 throughout. Beside the raw backbone ceiling measured in the
 * same run, with decode-once and micro-batching each on and off.
 *
 *   node -r @swc-node/register bench/pipeline.ts    (BENCH_DURATION_S per run, default 8)
 *
 * BENCH_DATABASE=postgres runs Vireo on a throwaway database of the test PostgreSQL instead of
 * the embedded PGlite (which runs its queries on the application's event loop).
 *
 * Targets on the 2-core machine: at saturation >= 80% of the ceiling; p95 < 300 ms at half
 * the saturation rate; /health/live p99 < 50 ms throughout.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../src/config';
import { bootApp } from '../test/support/app';
import { createTestDatabase } from '../test/support/postgres';
import { sleep } from '../test/support/eventually';
import { freePort } from '../test/support/vireo-process';
import { measureCeiling } from './support/backbone-ceiling';
import { photoLikeJpeg } from './support/images';
import { runLoad } from './support/load';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BOUNDARY } = require('./support/unique-multipart-request.js') as { BOUNDARY: string };

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ADMIN_KEY = 'vir_benchadmin_0123456789abcdefghijABCDEFGHIJ';
const SETUP_REQUEST = join(__dirname, 'support', 'unique-multipart-request.js');
const DEFAULTS = AppConfig.fromEnv({});
/** Offered during the saturation run, as a multiple of the ceiling: more than it can take. */
const OVERLOAD = 1.5;
const FRACTIONS = [0.25, 0.5, 1] as const;

interface Variant {
  name: string;
  env: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { name: 'decode once, batching', env: {} },
  { name: 'decode twice, batching', env: { PIPELINE_DECODE_ONCE: 'false' } },
  { name: 'decode once, no batching', env: { BATCH_MAX_SIZE: '1' } },
  {
    name: 'decode twice, no batching',
    env: { PIPELINE_DECODE_ONCE: 'false', BATCH_MAX_SIZE: '1' },
  },
];

interface RunResult {
  /** Uploads accepted per second. */
  offered: number;
  /** Images processed per second, from the first upload to the last result. */
  sustained: number;
  p50: number;
  p95: number;
  p99: number;
  liveP99: number;
  errors: number;
}

interface ImageTimes {
  status: string;
  uploadedAt: string;
  processedAt: string | null;
}

async function bootPipeline(variant: Variant) {
  const port = await freePort();
  const db = process.env.BENCH_DATABASE === 'postgres' ? await createTestDatabase() : undefined;
  const app = await bootApp({
    ...(db && { DATABASE_URL: db.url }),
    PORT: String(port),
    INFERENCE_THREADS: String(DEFAULTS.model.inferenceThreads),
    MODEL_PRELOAD: 'true',
    ADMIN_API_KEY: ADMIN_KEY,
    RATE_LIMIT_UPLOADS_PER_MIN: '100000000',
    RATE_LIMIT_READS_PER_MIN: '100000000',
    LOG_LEVEL: 'error',
    ...variant.env,
  });
  await app.app.listen({ port, host: '127.0.0.1' });
  const close = async () => {
    await app.close();
    await db?.drop();
  };
  return { close, base: `http://127.0.0.1:${port}` };
}

async function api(base: string, path: string, init: RequestInit = {}, key = ADMIN_KEY) {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { 'x-api-key': key, 'content-type': 'application/json', ...init.headers },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
}

/** A fresh owner per run, so a run's images are exactly its owner's. */
async function ownerKey(base: string, run: string): Promise<string> {
  const user = await api(base, '/v1/admin/users', {
    method: 'POST',
    body: JSON.stringify({ email: `${run}-${Date.now()}@bench.local`, password: 'p'.repeat(16) }),
  });
  const key = await api(base, '/v1/keys', {
    method: 'POST',
    body: JSON.stringify({ name: run, scopes: ['images:write', 'images:read'], ownerId: user.id }),
  });
  return key.key as string;
}

async function imagesOf(base: string, key: string): Promise<ImageTimes[]> {
  const images: ImageTimes[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = await api(base, `/v1/images?limit=100${query}`, {}, key);
    images.push(...(page.items as ImageTimes[]));
    cursor = page.nextCursor as string | null;
  } while (cursor);
  return images;
}

/**
 * Waits until every accepted upload of the owner is processed or failed: one stats query per
 * poll (listing the images would load the database under test).
 */
async function drained(base: string, key: string, accepted: number): Promise<void> {
  for (;;) {
    const stats = await api(base, '/v1/stats', {}, key);
    const today = (stats.total ?? {}) as { processed: number; failed: { total: number } };
    if (today.processed + today.failed.total >= accepted) return;
    await sleep(250);
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

/** Uploads at `rate`/s for DURATION_S beside /health/live; then latencies and throughput. */
async function runAtRate(base: string, rate: number, name: string): Promise<RunResult> {
  const key = await ownerKey(base, name.replace(/\W+/g, '-'));
  const [uploads, live] = await Promise.all([
    runLoad(name, {
      url: `${base}/v1/images`,
      method: 'POST',
      connections: Math.max(2, Math.ceil(rate / 4)),
      durationS: DURATION_S,
      overallRate: Math.max(1, Math.round(rate)),
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'x-api-key': key },
      setupRequest: SETUP_REQUEST,
    }),
    runLoad('/health/live', { url: `${base}/health/live`, connections: 1, durationS: DURATION_S }),
  ]);
  await drained(base, key, uploads.succeeded);
  const images = await imagesOf(base, key);
  const processed = images.filter((image) => image.processedAt);
  const latencies = processed
    .map((image) => Date.parse(image.processedAt!) - Date.parse(image.uploadedAt))
    .sort((a, b) => a - b);
  // Busy from the first upload accepted to the last result stored: images/s over that span.
  const first = Math.min(...processed.map((image) => Date.parse(image.uploadedAt)));
  const last = Math.max(...processed.map((image) => Date.parse(image.processedAt!)));
  return {
    offered: images.length / DURATION_S,
    sustained: processed.length / ((last - first) / 1000),
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    liveP99: live.p99Ms,
    errors: uploads.errors + uploads.non2xx + (images.length - processed.length),
  };
}

async function measureVariant(variant: Variant, ceiling: number) {
  const { close, base } = await bootPipeline(variant);
  try {
    await runAtRate(base, Math.min(4, ceiling / 2), `${variant.name} warm-up`);
    const saturation = await runAtRate(base, ceiling * OVERLOAD, `${variant.name} overload`);
    const runs: RunResult[] = [];
    for (const fraction of FRACTIONS) {
      runs.push(
        await runAtRate(base, saturation.sustained * fraction, `${variant.name} x${fraction}`),
      );
    }
    return { saturation, runs, breakdown: await stageBreakdown(base) };
  } finally {
    await close();
  }
}

/** Mean ms per image of each pipeline stage, and the mean micro-batch, over the variant's runs. */
async function stageBreakdown(base: string): Promise<string> {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string, label = '') =>
    Number(metrics.match(new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} ([\\d.e+-]+)$`, 'm'))?.[1]);
  const stages = ['queue_wait', 'decode', 'inference', 'persist', 'end_to_end'].map((stage) => {
    const label = `stage="${stage}"`;
    const mean =
      read('vireo_pipeline_stage_seconds_sum', label) /
      read('vireo_pipeline_stage_seconds_count', label);
    return `${stage} ${(mean * 1000).toFixed(0)} ms`;
  });
  const batch = read('vireo_model_batch_size_sum') / read('vireo_model_batch_size_count');
  return `${stages.join(', ')}; mean batch ${batch.toFixed(1)}`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-bench-pipeline-'));
  process.env.BENCH_JPEG_PATH = join(dir, 'bench.jpg');
  await writeFile(process.env.BENCH_JPEG_PATH, await photoLikeJpeg());
  try {
    await report(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function report(cacheDir: string): Promise<void> {
  const { inferenceThreads, batchMaxSize, batchMaxDelayMs } = DEFAULTS.model;
  console.log(
    `640x480 JPEG uploads; ${inferenceThreads} inference thread(s); BATCH_MAX_SIZE ` +
      `${batchMaxSize}, BATCH_MAX_DELAY_MS ${batchMaxDelayMs}; ${DURATION_S} s per run; ` +
      `load average (1 min) ${loadavg()[0].toFixed(2)} on ${cpus().length} cores`,
  );
  const ceiling = await measureCeiling(DEFAULTS, DURATION_S, cacheDir);
  console.log(
    `Ceiling: raw backbone (${ceiling.engine}), tensors in, no HTTP: ${ceiling.best.toFixed(1)} images/s`,
  );
  const rows: Record<string, string | number>[] = [];
  const summary: string[] = [];
  for (const variant of VARIANTS) {
    const { saturation, runs, breakdown } = await measureVariant(variant, ceiling.best);
    const half = runs[1];
    const worstLive = Math.max(saturation.liveP99, ...runs.map((r) => r.liveP99));
    summary.push(
      `${variant.name}: saturation ${saturation.sustained.toFixed(1)} images/s = ` +
        `${((saturation.sustained / ceiling.best) * 100).toFixed(0)}% of the ceiling; ` +
        `p95 at half rate ${half.p95} ms; /health/live p99 at worst ${worstLive} ms\n  ` +
        `per image: ${breakdown}`,
    );
    for (const [label, run] of [
      ['overload', saturation] as const,
      ...runs.map((r, i) => [`x${FRACTIONS[i]}`, r] as const),
    ]) {
      rows.push({
        variant: variant.name,
        rate: label,
        'offered/s': Number(run.offered.toFixed(1)),
        'images/s': Number(run.sustained.toFixed(1)),
        'vs ceiling': `${((run.sustained / ceiling.best) * 100).toFixed(0)}%`,
        'p50 ms': run.p50,
        'p95 ms': run.p95,
        'p99 ms': run.p99,
        'live p99 ms': run.liveP99,
        errors: run.errors,
      });
    }
  }
  console.table(rows);
  for (const line of summary) console.log(line);
  console.log(`Load average (1 min) at the end: ${loadavg()[0].toFixed(2)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
