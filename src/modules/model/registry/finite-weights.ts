import type * as tf from '@tensorflow/tfjs';
import { invalidArtifact } from '../model-errors';
import { BYTES_PER_VALUE } from './weight-data';

/**
 * Throws AppError 422 `non_finite_weights` when a float weight (float32, float16, or a
 * quantization's scale or min) is NaN or infinite: such a model scores `null` for every input.
 * `data` holds the weights back to back in `specs` order, as TF.js stores them.
 */
export function checkFiniteWeights(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): void {
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((product, d) => product * d, 1);
    const { quantization } = spec;
    const dtype = quantization?.dtype ?? spec.dtype;
    const width = BYTES_PER_VALUE[dtype] ?? 0;
    const finite = quantization
      ? [quantization.scale ?? 0, quantization.min ?? 0].every(Number.isFinite) &&
        (dtype !== 'float16' || finiteHalves(data, offset, count))
      : dtype !== 'float32' || finiteFloats(data, offset, count);
    if (!finite) {
      throw invalidArtifact(`Weight ${spec.name} holds NaN or Infinity`, 'non_finite_weights');
    }
    offset += count * width;
  }
}

function finiteFloats(data: ArrayBuffer, offset: number, count: number): boolean {
  const view = new DataView(data, offset, count * 4);
  for (let i = 0; i < count; i++) if (!Number.isFinite(view.getFloat32(i * 4, true))) return false;
  return true;
}

/** A half is NaN or infinite when its five exponent bits are all set. */
function finiteHalves(data: ArrayBuffer, offset: number, count: number): boolean {
  const view = new DataView(data, offset, count * 2);
  for (let i = 0; i < count; i++)
    if ((view.getUint16(i * 2, true) & 0x7c00) === 0x7c00) return false;
  return true;
}
