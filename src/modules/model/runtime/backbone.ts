import * as tf from '@tensorflow/tfjs';
import type { TfBackendSetting } from '../../../config';
import { initTfBackend } from './backend';
import {
  EMBEDDING_SIZE,
  INPUT_SIZE,
  loadBundledMobileNet,
  MODERATION_LABELS,
  PIXELS_PER_IMAGE,
} from './bundled-mobilenet';
import type { InferenceEngine } from './inference-engine';

/** One forward pass over `count` images, row-major per image. */
export interface BackboneOutput {
  count: number;
  /** `count` x MODERATION_LABELS.length class probabilities. */
  scores: Float32Array;
  /** `count` x EMBEDDING_SIZE features. */
  embeddings: Float32Array;
}

/** One image's share of a BackboneOutput. */
export interface ImageOutput {
  scores: Float32Array;
  embedding: Float32Array;
}

/** Per-image copies, in input order. */
export function splitBackboneOutput(output: BackboneOutput): ImageOutput[] {
  const classes = MODERATION_LABELS.length;
  return Array.from({ length: output.count }, (_, i) => ({
    scores: output.scores.slice(i * classes, (i + 1) * classes),
    embedding: output.embeddings.slice(i * EMBEDDING_SIZE, (i + 1) * EMBEDDING_SIZE),
  }));
}

/** Joins images' pixels into one batch, as Backbone.run takes them. */
export function concatPixels(images: Float32Array[]): Float32Array {
  const batch = new Float32Array(images.length * PIXELS_PER_IMAGE);
  images.forEach((pixels, i) => batch.set(pixels, i * PIXELS_PER_IMAGE));
  return batch;
}

/** The bundled backbone in one thread: preprocessed pixels in, scores and embeddings out. */
export interface Backbone {
  readonly engine: InferenceEngine;
  /** `pixels`: `count` images of INPUT_SIZE x INPUT_SIZE RGB in [0, 1], row-major. */
  run(pixels: Float32Array, count: number): Promise<BackboneOutput>;
  dispose(): void;
}

/** Throws unless `pixels` holds `count` images. */
export function checkBatch(pixels: Float32Array, count: number): void {
  if (!Number.isInteger(count) || count < 1 || pixels.length !== count * PIXELS_PER_IMAGE) {
    throw new RangeError(`Expected ${count} x ${PIXELS_PER_IMAGE} pixels, got ${pixels.length}`);
  }
}

/** The first pass compiles kernels; pay for it at load, not on the first request. */
export async function warmUp<B extends Backbone>(backbone: B): Promise<B> {
  await backbone.run(new Float32Array(PIXELS_PER_IMAGE), 1);
  return backbone;
}

/** The backbone on this thread's TF.js. Every tensor it makes is disposed before `run` returns. */
export class TfjsBackbone implements Backbone {
  /** `model`: INPUT_SIZE x INPUT_SIZE RGB in, [class probabilities, embedding] out. */
  constructor(
    readonly engine: InferenceEngine,
    private readonly model: tf.LayersModel,
  ) {}

  /** The bundled MobileNetV2, warmed up, on the backend `backend` asks for. */
  static async load(backend: TfBackendSetting): Promise<TfjsBackbone> {
    const name = await initTfBackend(backend);
    const model = await loadBundledMobileNet();
    return warmUp(new TfjsBackbone({ runtime: 'tfjs', backend: name }, model));
  }

  async run(pixels: Float32Array, count: number): Promise<BackboneOutput> {
    checkBatch(pixels, count);
    const [scores, embeddings] = tf.tidy(
      () =>
        this.model.predict(tf.tensor4d(pixels, [count, INPUT_SIZE, INPUT_SIZE, 3])) as tf.Tensor[],
    );
    try {
      // Copies: some backends hand out their own storage, which must not be transferred.
      return {
        count,
        scores: new Float32Array(await scores.data<'float32'>()),
        embeddings: new Float32Array(await embeddings.data<'float32'>()),
      };
    } finally {
      tf.dispose([scores, embeddings]);
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
