import * as tf from '@tensorflow/tfjs';
import { dirname, join } from 'node:path';
import { foldBatchNorms } from './fold-batch-norms';

/** The shipped default model: nsfwjs's MobileNetV2, as the `moderation` model, version 1. */
export const MODERATION_MODEL = { name: 'moderation', version: 1 } as const;

/** The output classes in nsfwjs's order (its `NSFW_CLASSES`). */
export const MODERATION_LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type ModerationLabel = (typeof MODERATION_LABELS)[number];

/** Side of the square RGB input the network takes. */
export const INPUT_SIZE = 224;
export const PIXELS_PER_IMAGE = INPUT_SIZE * INPUT_SIZE * 3;

/** The pooled backbone features (layer `flatten_1`), the input of every trained head. */
export const EMBEDDING_LAYER = 'flatten_1';
export const EMBEDDING_SIZE = 1280;

interface BundledModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** The bundled model as nsfwjs ships it: Keras topology, weight specs and their bytes. */
export interface BundledModelFiles {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/**
 * Reads the MobileNetV2 bundled in the `nsfwjs` package. The package stores the model as
 * CommonJS files (JSON, and the weights as one base64 string) that are not in its exports;
 * reading them directly is ~10x faster than its own loader, which copies the base64 string
 * character by character.
 */
export function readBundledMobileNet(): BundledModelFiles {
  const dir = join(dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- data files, not modules
  const json = require(join(dir, 'model.min.js')) as BundledModelJson;
  const [group] = json.weightsManifest;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const base64 = require(join(dir, `${group.paths[0]}.min.js`)) as string;
  const weights = Buffer.from(base64, 'base64');
  const weightData = weights.buffer.slice(
    weights.byteOffset,
    weights.byteOffset + weights.byteLength,
  ) as ArrayBuffer;
  return { modelTopology: json.modelTopology, weightSpecs: group.weights, weightData };
}

/**
 * Loads the bundled MobileNetV2 in TF.js as one model with two outputs, the class
 * probabilities and the embedding, so one forward pass yields both; its batch norms are
 * folded into the convolutions (same outputs, about twice as fast on wasm).
 */
export async function loadBundledMobileNet(): Promise<tf.LayersModel> {
  const classifier = await foldBatchNorms(
    await tf.loadLayersModel(tf.io.fromMemory(readBundledMobileNet())),
  );
  return tf.model({
    inputs: classifier.inputs,
    outputs: [
      classifier.outputs[0],
      classifier.getLayer(EMBEDDING_LAYER).output as tf.SymbolicTensor,
    ],
  });
}
