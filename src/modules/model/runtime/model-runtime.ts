import type * as tf from '@tensorflow/tfjs';
import type { ModerationLabel } from './bundled-mobilenet';
import type { InferenceEngine } from './inference-engine';

export interface LabelScore<L extends string = string> {
  label: L;
  score: number;
}

/** One image through the backbone: its embedding and the moderation model's scores. */
export interface ImageAnalysis {
  /** The pooled MobileNetV2 features (EMBEDDING_SIZE), the input of trained heads. */
  embedding: Float32Array;
  /** Every moderation label, highest score first; the scores sum to 1. */
  moderation: LabelScore<ModerationLabel>[];
}

/**
 * Who waits for an inference: `realtime` (the default) goes first; `batch` (batch jobs) runs
 * only on threads real-time work leaves free, one image at a time.
 */
export type InferenceLane = 'realtime' | 'batch';

export interface InferenceOptions {
  lane?: InferenceLane;
}

/** A head loaded in the runtime's inference threads, beside the backbone. */
export interface RuntimeHead {
  /** `count` rows of EMBEDDING_SIZE in (not consumed), `count` rows of label scores out. */
  run(embeddings: Float32Array, count: number): Promise<Float32Array>;
  /** Frees it in every thread. */
  dispose(): Promise<void>;
}

/**
 * The model runtime the rest of the application uses: image bytes in, one backbone pass
 * (micro-batched with concurrent calls, off the event loop) out; and trained heads on the
 * embedding, run in the same threads, never on the event loop.
 */
export abstract class ModelRuntime {
  /** What the backbone runs on; null until the model has loaded. */
  abstract readonly engine: InferenceEngine | null;

  /**
   * Rejects with AppError 415 `unsupported_image` (or 413 `too_many_pixels`) for bytes that
   * are no image it can decode.
   */
  abstract embedAndModerate(image: Buffer, options?: InferenceOptions): Promise<ImageAnalysis>;

  /**
   * The same for one image already preprocessed: INPUT_SIZE x INPUT_SIZE RGB in [0, 1],
   * row-major (PIXELS_PER_IMAGE values). Batched with the calls above.
   */
  abstract analyzePixels(pixels: Float32Array, options?: InferenceOptions): Promise<ImageAnalysis>;

  /**
   * Loads a head (a TF.js artifact) in every inference thread. Throws AppError 422 when it
   * does not load or is no head with `labelCount` finite outputs.
   */
  abstract loadHead(artifacts: tf.io.ModelArtifacts, labelCount: number): Promise<RuntimeHead>;

  /** The same checks in one thread, keeping nothing; resolves to the probe batch's time. */
  abstract checkHead(
    artifacts: tf.io.ModelArtifacts,
    labelCount: number,
  ): Promise<{ probeMs: number }>;
}
