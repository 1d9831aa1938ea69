import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EMBEDDING_LAYER, readBundledMobileNet } from '../bundled-mobilenet';
import { decodeWeights } from './keras-weights';
import { kerasToOnnx } from './keras-to-onnx';

/** The converted graph's outputs: the bundled network's softmax and its embedding layer. */
export const BACKBONE_OUTPUTS = { scores: 'scores', embedding: 'embedding' } as const;
const SCORES_LAYER = 'dense_3';

/** Bump when the converter's output changes, so cached graphs are made anew. */
const CONVERTER_VERSION = 1;

export interface OnnxModelFile {
  bytes: Uint8Array;
  path: string;
  /** False when it came from the cache. */
  converted: boolean;
}

/**
 * The bundled MobileNetV2 as ONNX: read from `cacheDir` when a file made from the same source
 * (sha256 of the nsfwjs topology, weights and converter version, in its name) is there and
 * intact (its own sha256 beside it), else converted (~0.2 s) and written there atomically.
 * A cache that cannot be written is no failure: the bytes are returned all the same.
 */
export async function bundledOnnxModel(
  cacheDir: string,
  warn: (message: string) => void = () => {},
): Promise<OnnxModelFile> {
  const source = readBundledMobileNet();
  const sourceSum = sha256(
    JSON.stringify(source.modelTopology),
    JSON.stringify(source.weightSpecs),
    new Uint8Array(source.weightData),
    String(CONVERTER_VERSION),
  );
  const path = join(cacheDir, `mobilenet_v2-${sourceSum.slice(0, 16)}.onnx`);
  const cached = await readIntact(path);
  if (cached) return { bytes: cached, path, converted: false };
  const bytes = kerasToOnnx(
    source.modelTopology,
    decodeWeights(source.weightSpecs, source.weightData),
    [
      { name: BACKBONE_OUTPUTS.scores, layer: SCORES_LAYER },
      { name: BACKBONE_OUTPUTS.embedding, layer: EMBEDDING_LAYER },
    ],
  );
  await writeAtomically(cacheDir, path, bytes).catch((error: Error) =>
    warn(`Could not cache the ONNX model in ${cacheDir}: ${error.message}`),
  );
  return { bytes, path, converted: true };
}

async function readIntact(path: string): Promise<Uint8Array | undefined> {
  try {
    const [bytes, sum] = await Promise.all([readFile(path), readFile(`${path}.sha256`, 'utf8')]);
    return sha256(bytes) === sum.trim() ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The checksum last: a reader never takes a half-written or stale graph for a good one. */
async function writeAtomically(dir: string, path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Names of their own: replicas (or runtimes in one process) may convert at the same time.
  const graph = `${path}.${randomUUID()}.tmp`;
  const sum = `${path}.sha256.${randomUUID()}.tmp`;
  await writeFile(graph, bytes);
  await rename(graph, path);
  await writeFile(sum, sha256(bytes));
  await rename(sum, `${path}.sha256`);
}

function sha256(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
