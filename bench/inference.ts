/**
 * Inference throughput of both backbone runtimes (INFERENCE_RUNTIME=onnx and tfjs), in one run:
 *
 * 1. Ceiling: the raw backbone, preprocessed tensors straight into an inference pool of the
 *    app's default size for that runtime (no HTTP, no decoding), one image per call and full
 *    batches; the better of the two.
 * 2. Served: `POST /v1/predict` (a raw 640x480 JPEG body per request) at 1, 8 and 32
 *    connections against the app booted with its defaults (one app per runtime, both up).
 * 3. Threads: ONNX served at 8 connections with 1, 2 and 3 inference threads (the default's
 *    evidence; BENCH_THREAD_SWEEP=0 skips it).
 * 4. Liveness: `GET /health/live` p99 while 32 connections saturate the ONNX app, with the
 *    costliest head the registry accepts (MODEL_HEAD_MAX_PARAMS, dense) in production.
 *
 * The machine is shared: every measurement runs BENCH_ROUNDS times, runtimes taking turns
 * within a round, and the median is reported with the load average beside it.
 *
 *   node -r @swc-node/register bench/inference.ts
 *   (BENCH_DURATION_S per run, default 8; BENCH_ROUNDS, default 3)
 *
 * Targets (issue 12, 2 cores): ONNX served >= 3x TF.js served at 8 connections and >= 50
 * images/s; ONNX served >= 80% of the ONNX ceiling; /health/live p99 < 50 ms.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../src/config';
import { ModelRegistry } from '../src/modules/model/model-registry';
import { ModelRuntime } from '../src/modules/model/runtime';
import { initTfBackend } from '../src/modules/model/runtime/backend';
import { EMBEDDING_SIZE, PIXELS_PER_IMAGE } from '../src/modules/model/runtime/bundled-mobilenet';
import { InferencePool } from '../src/modules/model/runtime/inference-pool';
import { bundledOnnxModel } from '../src/modules/model/runtime/onnx/bundled-onnx-model';
import { bootApp, TestApp } from '../test/support/app';
import { artifactFiles, denseHead } from '../test/support/model-artifacts';
import { freePort } from '../test/support/vireo-process';
import { photoLikeJpeg } from './support/images';
import { LoadResult, runLoad } from './support/load';
import { imagesPerSecond } from './support/throughput';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const THREAD_SWEEP = process.env.BENCH_THREAD_SWEEP !== '0';
const WARMUP_S = 3;
const CONNECTIONS = [1, 8, 32];
const RUNTIMES = ['onnx', 'tfjs'] as const;
type Runtime = (typeof RUNTIMES)[number];
const ADMIN_KEY = 'vir_benchadmin_0123456789abcdefghijABCDEFGHIJ';
const FILE_BODY_REQUEST = join(__dirname, 'support', 'file-body-request.js');

const defaults = (runtime: Runtime) => AppConfig.fromEnv({ INFERENCE_RUNTIME: runtime }).model;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const load = () => loadavg()[0].toFixed(2);
const fixed = (value: number) => Number(value.toFixed(1));
const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');

/** `measure` ROUNDS times per key, keys taking turns within each round; medians by key. */
async function alternating<K>(keys: K[], measure: (key: K) => Promise<number>) {
  const results = new Map<K, number[]>(keys.map((key) => [key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const key of keys) results.get(key)!.push(await measure(key));
  }
  return new Map([...results].map(([key, values]) => [key, { median: median(values), values }]));
}

/** Ceiling: batches of 1 and of BATCH_MAX_SIZE kept in flight on every thread of the pool. */
async function measureCeilings(dir: string) {
  const { bytes } = await bundledOnnxModel(dir);
  const pools = new Map<Runtime, InferencePool>();
  for (const runtime of RUNTIMES) {
    const { inferenceThreads: threads, backend } = defaults(runtime);
    pools.set(runtime, await InferencePool.start({ threads, runtime, backend, onnxModel: bytes }));
  }
  const batches = [1, defaults('onnx').batchMaxSize];
  const keys = RUNTIMES.flatMap((runtime) => batches.map((batch) => ({ runtime, batch })));
  try {
    const rates = await alternating(keys, ({ runtime, batch }) => {
      const pool = pools.get(runtime)!;
      const pixels = Float32Array.from({ length: batch * PIXELS_PER_IMAGE }, Math.random);
      // The pool takes the buffer over, so each call sends its own copy.
      const call = () => pool.run(pixels.slice(), batch);
      return imagesPerSecond({ inFlight: pool.size * 2, imagesPerCall: batch, call }, DURATION_S);
    });
    return new Map(
      RUNTIMES.map((runtime) => {
        const mine = keys.filter((key) => key.runtime === runtime);
        const byBatch = mine.map((key) => ({ batch: key.batch, ...rates.get(key)! }));
        const best = Math.max(...byBatch.map((b) => b.median));
        return [runtime, { best, byBatch, threads: pools.get(runtime)!.size }];
      }),
    );
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool.close()));
  }
}

interface ServingApp {
  app: TestApp;
  base: string;
}

/** The app with its defaults (or `env`) listening on a port, models loaded before it answers. */
async function servingApp(env: Record<string, string>): Promise<ServingApp> {
  const port = await freePort();
  const app = await bootApp({
    PORT: String(port),
    MODEL_PRELOAD: 'true',
    ADMIN_API_KEY: ADMIN_KEY,
    RATE_LIMIT_PREDICT_PER_MIN: '100000000',
    INFERENCE_THREADS: '0',
    ...env,
  });
  await app.app.listen({ port, host: '127.0.0.1' });
  const served = { app, base: `http://127.0.0.1:${port}` };
  await predictLoad(served, 8, WARMUP_S);
  return served;
}

/** The JPEG (at BENCH_BODY_PATH) as the raw body of every request. */
function predictLoad({ base }: ServingApp, connections: number, durationS: number) {
  return runLoad(`/v1/predict, ${connections} conn`, {
    url: `${base}/v1/predict`,
    method: 'POST',
    connections,
    durationS,
    headers: { 'content-type': 'image/jpeg', 'x-api-key': ADMIN_KEY },
    setupRequest: FILE_BODY_REQUEST,
  });
}

/** Requests/s of one run; a run with failures is no throughput figure. */
async function servedRate(app: ServingApp, connections: number): Promise<number> {
  const result = await predictLoad(app, connections, DURATION_S);
  if (result.errors + result.non2xx > 0) {
    throw new Error(`${result.name}: ${result.errors + result.non2xx} failed requests`);
  }
  return result.requestsPerSec;
}

async function measureServing() {
  const apps = new Map<Runtime, ServingApp>();
  for (const runtime of RUNTIMES)
    apps.set(runtime, await servingApp({ INFERENCE_RUNTIME: runtime }));
  const keys = CONNECTIONS.flatMap((connections) =>
    RUNTIMES.map((runtime) => ({ runtime, connections })),
  );
  const rates = await alternating(keys, ({ runtime, connections }) =>
    servedRate(apps.get(runtime)!, connections),
  );
  const engines = new Map(
    RUNTIMES.map((runtime) => [runtime, apps.get(runtime)!.app.app.get(ModelRuntime).engine]),
  );
  const served = (runtime: Runtime, connections: number) =>
    rates.get(keys.find((k) => k.runtime === runtime && k.connections === connections)!)!;
  return { apps, engines, served };
}

async function measureThreadSweep() {
  const counts = [1, 2, 3];
  const apps = new Map<number, ServingApp>();
  for (const threads of counts) {
    apps.set(
      threads,
      await servingApp({ INFERENCE_RUNTIME: 'onnx', INFERENCE_THREADS: String(threads) }),
    );
  }
  try {
    return await alternating(counts, (threads) => servedRate(apps.get(threads)!, 8));
  } finally {
    await Promise.all([...apps.values()].map(({ app }) => app.close()));
  }
}

/** The costliest head the registry takes by default: dense, MODEL_HEAD_MAX_PARAMS parameters. */
async function promoteCostliestHead(app: TestApp): Promise<number> {
  const classes = 10;
  const hidden = Math.floor(
    (app.config.model.headMaxParams - classes) / (EMBEDDING_SIZE + 1 + classes),
  );
  const model = denseHead(EMBEDDING_SIZE, classes, hidden);
  const parameters = model.countParams();
  const files = await artifactFiles(
    model,
    Array.from({ length: classes }, (_, i) => `c${i}`),
  );
  model.dispose();
  const registry = app.app.get(ModelRegistry);
  const version = await registry.addVersion('costliest', { files });
  await registry.promote('costliest', version.version);
  return parameters;
}

/** /health/live p99 alone, then beside 32 connections of /v1/predict, per round. */
async function measureLiveness(app: ServingApp) {
  const live = (name: string) =>
    runLoad(name, { url: `${app.base}/health/live`, connections: 1, durationS: DURATION_S });
  const idle = await live('/health/live, idle');
  const rounds: { busy: LoadResult; load: LoadResult }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [busy, predict] = await Promise.all([
      live('/health/live, inference saturated'),
      predictLoad(app, 32, DURATION_S),
    ]);
    rounds.push({ busy, load: predict });
  }
  return { idle, rounds };
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function main(): Promise<void> {
  const jpeg = await photoLikeJpeg();
  const dir = await mkdtemp(join(tmpdir(), 'vireo-bench-inference-'));
  process.env.BENCH_BODY_PATH = join(dir, 'photo.jpg');
  await writeFile(process.env.BENCH_BODY_PATH, jpeg);
  // The main thread's TF.js builds the head artifact below.
  await initTfBackend('cpu');
  try {
    await report(jpeg, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function report(jpeg: Buffer, dir: string): Promise<void> {
  const { batchMaxSize, batchMaxDelayMs } = defaults('onnx');
  console.log(
    `${jpeg.length} B 640x480 JPEG per request; ${cpus().length} cores; ` +
      `default threads: onnx ${defaults('onnx').inferenceThreads}, ` +
      `tfjs ${defaults('tfjs').inferenceThreads}; BATCH_MAX_SIZE ${batchMaxSize}, ` +
      `BATCH_MAX_DELAY_MS ${batchMaxDelayMs}; ${ROUNDS} rounds of ${DURATION_S} s per figure, ` +
      `medians; load average (1 min) at start ${load()}`,
  );

  const ceilings = await measureCeilings(dir);
  console.log(`\n1. Ceiling: raw backbone, tensors in, no HTTP (images/s; load ${load()})`);
  console.table(
    RUNTIMES.flatMap((runtime) =>
      ceilings.get(runtime)!.byBatch.map(({ batch, median: m, values }) => ({
        runtime,
        threads: ceilings.get(runtime)!.threads,
        batch,
        'images/s': fixed(m),
        rounds: values.map(fixed).join(', '),
      })),
    ),
  );

  const { apps, engines, served } = await measureServing();
  const onnxCeiling = ceilings.get('onnx')!.best;
  console.log(`\n2. Served: POST /v1/predict, one image per request (req/s; load ${load()})`);
  console.log(
    `   engines: onnx app ${JSON.stringify(engines.get('onnx'))}, tfjs app ${JSON.stringify(engines.get('tfjs'))}`,
  );
  console.table(
    CONNECTIONS.map((connections) => {
      const onnx = served('onnx', connections);
      const tfjs = served('tfjs', connections);
      return {
        connections,
        onnx: fixed(onnx.median),
        tfjs: fixed(tfjs.median),
        'onnx/tfjs': ratio(onnx.median, tfjs.median),
        'onnx/ceiling': `${((onnx.median / onnxCeiling) * 100).toFixed(0)}%`,
        'tfjs/ceiling': `${((tfjs.median / ceilings.get('tfjs')!.best) * 100).toFixed(0)}%`,
        'onnx rounds': onnx.values.map(fixed).join(', '),
        'tfjs rounds': tfjs.values.map(fixed).join(', '),
      };
    }),
  );
  await apps.get('tfjs')!.app.close();

  if (THREAD_SWEEP) {
    const sweep = await measureThreadSweep();
    console.log(`\n3. ONNX served at 8 connections by INFERENCE_THREADS (req/s; load ${load()})`);
    console.table(
      [...sweep].map(([threads, { median: m, values }]) => ({
        threads,
        'req/s': fixed(m),
        rounds: values.map(fixed).join(', '),
      })),
    );
  }

  const onnxApp = apps.get('onnx')!;
  const parameters = await promoteCostliestHead(onnxApp.app);
  const liveness = await measureLiveness(onnxApp);
  await onnxApp.app.close();
  const p99s = liveness.rounds.map((r) => r.busy.p99Ms);
  console.log(
    `\n4. /health/live while 32 connections saturate the onnx app, with a ` +
      `${parameters}-parameter dense head in production (load ${load()})`,
  );
  console.table([
    { run: 'idle', 'p50 ms': liveness.idle.p50Ms, 'p99 ms': liveness.idle.p99Ms },
    ...liveness.rounds.map(({ busy, load: predict }, i) => ({
      run: `saturated, round ${i + 1}`,
      'p50 ms': busy.p50Ms,
      'p99 ms': busy.p99Ms,
      'predict req/s (with head)': fixed(predict.requestsPerSec),
      'predict errors': predict.errors + predict.non2xx,
    })),
  ]);

  const at8 = served('onnx', 8).median;
  const best = Math.max(...CONNECTIONS.map((c) => served('onnx', c).median));
  const p99 = median(p99s);
  console.log('\nTargets');
  console.log(
    `  ONNX/TF.js served at 8 connections: ${ratio(at8, served('tfjs', 8).median)} (${verdict(at8 >= 3 * served('tfjs', 8).median)} >= 3x)`,
  );
  console.log(
    `  ONNX served at 8 connections: ${at8.toFixed(1)} images/s (${verdict(at8 >= 50)} >= 50)`,
  );
  console.log(
    `  ONNX best served / ONNX ceiling: ${((best / onnxCeiling) * 100).toFixed(0)}% (${verdict(best >= 0.8 * onnxCeiling)} >= 80%)`,
  );
  console.log(
    `  /health/live p99 under saturation (median of rounds): ${p99} ms (${verdict(p99 < 50)} < 50 ms)`,
  );
  console.log(`Load average (1 min) at the end: ${load()}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
