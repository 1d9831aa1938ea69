/**
 * Images/s of the bundled MobileNetV2 on the TF.js runtime (INFERENCE_RUNTIME=tfjs; both
 * runtimes side by side: bench/inference.ts), moderation scores + embedding in one pass:
 * - tensor in: preprocessed pixels straight into the backbone, in this thread and through
 *   the inference pool with 1 and 2 threads, one image per call and batches of 8;
 * - bytes in: 640x480 JPEGs through ModelRuntime (sharp preprocessing, micro-batching,
 *   pool of 2), 32 calls in flight, as the application runs it.
 *
 *   node -r @swc-node/register bench/inference-ceiling.ts    (BENCH_SECONDS per run, default 5)
 */
import { AppConfig } from '../src/config';
import { ReadinessRegistry } from '../src/modules/health/readiness.registry';
import { MetricsService } from '../src/modules/metrics/metrics.service';
import { TfjsBackbone } from '../src/modules/model/runtime/backbone';
import { PIXELS_PER_IMAGE } from '../src/modules/model/runtime/bundled-mobilenet';
import { InferencePool } from '../src/modules/model/runtime/inference-pool';
import { PooledModelRuntime } from '../src/modules/model/runtime/pooled-model-runtime';
import { photoLikeJpeg } from './support/images';
import { CallScenario, imagesPerSecond } from './support/throughput';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Scenarios take turns, so load from elsewhere on the machine hits every one alike. */
const ROUNDS = 3;

interface Scenario extends CallScenario {
  name: string;
}

function randomPixels(images: number): Float32Array {
  return Float32Array.from({ length: images * PIXELS_PER_IMAGE }, () => Math.random());
}

function tensorScenarios(
  where: string,
  inFlight: number,
  run: (pixels: Float32Array, count: number) => Promise<unknown>,
): Scenario[] {
  return [1, 8].map((batch) => {
    const pixels = randomPixels(batch);
    return {
      name: `tensor in, ${where}, batch ${batch}`,
      inFlight,
      imagesPerCall: batch,
      // The pool takes the buffer over, so each call sends its own copy.
      call: () => run(pixels.slice(), batch),
    };
  });
}

async function main(): Promise<void> {
  const backbone = await TfjsBackbone.load('auto');
  const pools = await Promise.all(
    [1, 2].map((threads) => InferencePool.start({ threads, runtime: 'tfjs', backend: 'auto' })),
  );
  const config = AppConfig.fromEnv({ INFERENCE_THREADS: '2', INFERENCE_RUNTIME: 'tfjs' });
  const runtime = new PooledModelRuntime(
    config,
    new ReadinessRegistry(),
    new MetricsService(config),
  );
  const jpeg = await photoLikeJpeg();
  const { batchMaxSize, batchMaxDelayMs } = config.model;
  const scenarios: Scenario[] = [
    ...tensorScenarios(`this thread (${backbone.engine.backend})`, 1, (p, n) => backbone.run(p, n)),
    // Two calls per thread keep every thread busy while a result travels back.
    ...pools.flatMap((pool) =>
      tensorScenarios(`pool of ${pool.size} (${pool.engine.backend})`, pool.size * 2, (p, n) =>
        pool.run(p, n),
      ),
    ),
    {
      name: `bytes in, ModelRuntime, 2 threads, batch <= ${batchMaxSize} / ${batchMaxDelayMs} ms`,
      inFlight: 32,
      imagesPerCall: 1,
      call: () => runtime.embedAndModerate(jpeg),
    },
  ];

  console.log(`${ROUNDS} rounds of ${SECONDS} s per scenario; median images/s`);
  const rates = new Map<Scenario, number[]>(scenarios.map((s) => [s, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios)
      rates.get(scenario)!.push(await imagesPerSecond(scenario, SECONDS));
  }
  for (const [scenario, measured] of rates) {
    const sorted = [...measured].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const all = measured.map((r) => r.toFixed(1)).join(', ');
    console.log(`${scenario.name.padEnd(58)} ${median.toFixed(1).padStart(6)}   (${all})`);
  }

  backbone.dispose();
  await Promise.all([...pools.map((pool) => pool.close()), runtime.onApplicationShutdown()]);
}

void main();
