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
