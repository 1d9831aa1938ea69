import { AppConfig } from '../../src/config';
import { PIXELS_PER_IMAGE } from '../../src/modules/model/runtime/bundled-mobilenet';
import { InferencePool } from '../../src/modules/model/runtime/inference-pool';
import { imagesPerSecond } from './throughput';

/** Images/s of the backbone alone: batches of `batch` kept in flight on every thread. */
async function backboneRate(pool: InferencePool, batch: number, seconds: number): Promise<number> {
  const pixels = Float32Array.from({ length: batch * PIXELS_PER_IMAGE }, () => Math.random());
  // The pool takes the buffer over, so each call sends its own copy.
  const call = () => pool.run(pixels.slice(), batch);
  return imagesPerSecond({ inFlight: pool.size * 2, imagesPerCall: batch, call }, seconds);
}

/**
 * The raw backbone ceiling: preprocessed tensors straight into an inference pool of the app's
 * size (no HTTP, no decoding), the best of one image per call and full batches.
 */
export async function measureCeiling(defaults: AppConfig, seconds: number) {
  const { inferenceThreads: threads, batchMaxSize, backend } = defaults.model;
  const pool = await InferencePool.start({ threads, backend });
  try {
    const rates = new Map<number, number>();
    for (const batch of [1, batchMaxSize])
      rates.set(batch, await backboneRate(pool, batch, seconds));
    return { rates, best: Math.max(...rates.values()), backend: pool.backend };
  } finally {
    await pool.close();
  }
}
