import type * as tf from '@tensorflow/tfjs';

/** One weight of a TF.js layers model, dequantized to float32. */
export interface Weight {
  shape: number[];
  values: Float32Array;
}

/**
 * The weights of a TF.js artifact by name (`<layer>/<weight>`). TF.js stores them back to
 * back in manifest order; quantized ones (nsfwjs ships uint8) are `q * scale + min`.
 * Written here rather than with `tf.io.decodeWeights`, which needs a TF.js backend and makes
 * tensors, in a thread that only converts.
 */
export function decodeWeights(
  specs: tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
): Map<string, Weight> {
  const weights = new Map<string, Weight>();
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((product, d) => product * d, 1);
    const { values, bytes } = decodeOne(spec, data, offset, count);
    weights.set(spec.name, { shape: spec.shape, values });
    offset += bytes;
  }
  if (offset !== data.byteLength) {
    throw new Error(`The weight specs need ${offset} bytes; the data holds ${data.byteLength}`);
  }
  return weights;
}

function decodeOne(
  spec: tf.io.WeightsManifestEntry,
  data: ArrayBuffer,
  offset: number,
  count: number,
): { values: Float32Array; bytes: number } {
  const quantization = spec.quantization;
  if (!quantization) {
    if (spec.dtype !== 'float32') throw new Error(`${spec.name}: ${spec.dtype} is not supported`);
    return { values: new Float32Array(data.slice(offset, offset + count * 4)), bytes: count * 4 };
  }
  const { dtype, scale, min } = quantization;
  if ((dtype !== 'uint8' && dtype !== 'uint16') || scale === undefined || min === undefined) {
    throw new Error(`${spec.name}: ${dtype} quantization is not supported`);
  }
  const quantized =
    dtype === 'uint8'
      ? new Uint8Array(data, offset, count)
      : new Uint16Array(data.slice(offset, offset + count * 2));
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = quantized[i] * scale + min;
  return { values, bytes: quantized.byteLength };
}
