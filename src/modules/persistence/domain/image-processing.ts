import { ImageRecord } from './image';
import { NewPrediction, PredictionRecord } from './prediction';

/** One production model's answer, with the model's name (its label counts are kept per model). */
export interface ModelVersionPrediction extends NewPrediction {
  modelName: string;
}

/** Everything the pipeline made of an image. */
export interface ProcessedImage {
  derivativeKey: string;
  width: number;
  height: number;
  quarantined: boolean;
  embedding: { model: string; vector: Float32Array };
  predictions: ModelVersionPrediction[];
}

export interface ProcessingResult {
  image: ImageRecord;
  predictions: PredictionRecord[];
  /** Upload accepted -> predictions stored. */
  latencyMs: number;
}

/**
 * The realtime pipeline's writes. Each one is a single transaction that moves the image's
 * status and the owner's daily counters together, so a retried or duplicated job never
 * counts (or stores) anything twice: a step whose status change finds the image elsewhere
 * writes nothing.
 */
export abstract class ImageProcessingRepository {
  /**
   * `uploaded`, `processing` (a retry) or `failed` (an explicit retry) -> `processing`.
   * Leaving `uploaded` counts the upload; leaving `failed` uncounts that failure. Null when
   * the image is absent or in another status.
   */
  abstract claim(imageId: string): Promise<ImageRecord | null>;

  /**
   * `processing` -> `processed` with the derivative, one prediction per model version, the
   * embedding and the counters (processed, top labels, quarantined, latency). Null when the
   * image is no longer `processing` (nothing is written then).
   */
  abstract complete(imageId: string, result: ProcessedImage): Promise<ProcessingResult | null>;

  /** `processing` -> `failed` with its code and message, counted under the code. */
  abstract fail(imageId: string, code: string, message: string): Promise<ImageRecord | null>;
}
