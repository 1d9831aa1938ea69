/** Bytes per stored value, by TF.js weight dtype (a quantization's dtype when quantized). */
export const BYTES_PER_VALUE: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Weight files joined into the one ArrayBuffer TF.js takes (its own, not a pooled slice). */
export function joinWeights(parts: Buffer[]): ArrayBuffer {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined.buffer;
}
