import type { LabelScore } from './runtime';

/** One model's answer for one image: its top-k labels, highest score first. */
export interface ModelPrediction {
  model: string;
  version: number;
  labels: LabelScore[];
}

/** One production model's full answer for an image, as stored with it. */
export interface VersionPrediction extends ModelPrediction {
  versionId: string;
  /** From the call's start to this model's scores. */
  latencyMs: number;
}

/** An image through every production model: what upload processing stores. */
export interface ImageModelAnalysis {
  /** The backbone's embedding, and the backbone's name it is stored under. */
  embedding: { model: string; vector: Float32Array };
  /** Every production model with all its labels, highest score first; the backbone first. */
  predictions: VersionPrediction[];
}

/** A tensor as the Open Inference Protocol describes one (shape -1 = any batch size). */
export interface TensorSpec {
  name: string;
  datatype: 'FP32' | 'BYTES';
  shape: number[];
}

/** What serving knows about one model version. */
export interface ServedModelVersion {
  name: string;
  version: number;
  status: 'staged' | 'production' | 'archived';
  /** What runs it, as the Open Inference Protocol names platforms (`<project>_<format>`). */
  platform: 'onnxruntime_onnx' | 'tensorflowjs_tfjs';
  /** Output label names, in score order of the model's output. */
  labels: string[];
  /** Inputs it accepts: its FP32 tensor, and `image` (BYTES, encoded images) for every model. */
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** What `infer` takes: encoded images, or an FP32 tensor of the model's own input shape. */
export type InferInput =
  { kind: 'images'; images: Buffer[] } | { kind: 'tensor'; data: Float32Array; shape: number[] };

export interface InferResult {
  version: number;
  /** Row-major scores, `shape` = [batch, labels]. */
  scores: Float32Array;
  shape: [number, number];
}

/**
 * Runs the registered models: the bundled backbone (`moderation`) and the heads trained on its
 * embedding. Every method throws AppError 404 `model_not_found` / `model_version_not_found`
 * for unknown names or versions, 415 `unsupported_image` for bytes that do not decode.
 */
export abstract class ModelServer {
  /**
   * Every production model on one image: one backbone pass, every head on its embedding; or
   * only `model`'s production version (404 when it has none). `topK` defaults to the
   * PREDICT_TOP_K setting.
   */
  abstract predict(image: Buffer, topK?: number, model?: string): Promise<ModelPrediction[]>;

  /** The same one pass, with every label, each version's id and the embedding. */
  abstract analyze(image: Buffer): Promise<ImageModelAnalysis>;

  /**
   * `analyze` for an image its caller has already decoded and preprocessed into the
   * backbone's input (INPUT_SIZE x INPUT_SIZE RGB in [0, 1], row-major, PIXELS_PER_IMAGE
   * values), so it is not decoded twice. Micro-batched with every other call.
   */
  abstract analyzePixels(pixels: Float32Array): Promise<ImageModelAnalysis>;

  /** The production version, or the given one. */
  abstract describe(name: string, version?: number): Promise<ServedModelVersion>;

  /** Whether that version can answer now (loaded, or loadable without error). */
  abstract isReady(name: string, version?: number): Promise<boolean>;

  /**
   * One model on a batch. A tensor whose shape or datatype is not the model's throws AppError
   * 400 `invalid_tensor` with the expected shape in `details`.
   */
  abstract infer(
    name: string,
    version: number | undefined,
    input: InferInput,
  ): Promise<InferResult>;
}
