import type { TfBackendName } from './backend';
import type { ModerationLabel } from './bundled-mobilenet';

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
 * The model runtime the rest of the application uses: image bytes in, one backbone pass
 * (micro-batched with concurrent calls, off the event loop) out.
 */
export abstract class ModelRuntime {
  /** The TF.js backend the model runs on; null until the model has loaded. */
  abstract readonly backend: TfBackendName | null;

  /**
   * Rejects with AppError 415 `unsupported_image` (or 413 `too_many_pixels`) for bytes that
   * are no image it can decode.
   */
  abstract embedAndModerate(image: Buffer): Promise<ImageAnalysis>;

  /**
   * The same for one image already preprocessed: INPUT_SIZE x INPUT_SIZE RGB in [0, 1],
   * row-major (PIXELS_PER_IMAGE values). Batched with the calls above.
   */
  abstract analyzePixels(pixels: Float32Array): Promise<ImageAnalysis>;
}
