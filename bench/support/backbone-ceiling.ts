import { AppConfig } from '../../src/config';
import { describeEngine } from '../../src/modules/model/runtime';
import { PIXELS_PER_IMAGE } from '../../src/modules/model/runtime/bundled-mobilenet';
import { InferencePool } from '../../src/modules/model/runtime/inference-pool';
import { bundledOnnxModel } from '../../src/modules/model/runtime/onnx/bundled-onnx-model';
import { imagesPerSecond } from './throughput';

/** Images/s of the backbone alone: batches of `batch` kept in flight on every thread. */
async function backboneRate(pool: InferencePool, batch: number, seconds: number): Promise<number> {
  const pixels = Float32Array.from({ length: batch * PIXELS_PER_IMAGE }, () => Math.random());
  // The pool takes the buffer over, so each call sends its own copy.
  const call = () => pool.run(pixels.slice(), batch);
  return imagesPerSecond({ inFlight: pool.size * 2, imagesPerCall: batch, call }, seconds);
}

/**
 * The raw backbone ceiling of the app's own runtime and thread count: preprocessed tensors
 * straight into the inference pool (no HTTP, no decoding), the best of one image per call and
 * full batches. `cacheDir` keeps the converted ONNX backbone.
 */
export async function measureCeiling(defaults: AppConfig, seconds: number, cacheDir: string) {
  const { inferenceThreads: threads, batchMaxSize, backend, runtime } = defaults.model;
  const onnxModel = runtime === 'tfjs' ? undefined : (await bundledOnnxModel(cacheDir)).bytes;
  const pool = await InferencePool.start({ threads, runtime, backend, onnxModel });
  try {
    const rates = new Map<number, number>();
    for (const batch of [1, batchMaxSize])
      rates.set(batch, await backboneRate(pool, batch, seconds));
    return { rates, best: Math.max(...rates.values()), engine: describeEngine(pool.engine) };
  } finally {
    await pool.close();
  }
}
