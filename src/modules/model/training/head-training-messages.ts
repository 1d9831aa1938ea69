import type { TfBackendSetting } from '../../../config';
import type { ArtifactFile } from '../model-registry';

/** What a head-training thread is started with. Typed arrays are copied into the thread. */
export interface HeadTrainingInput {
  /** TF.js backend of the thread (TF_BACKEND: `auto` picks wasm where tfjs-node is absent). */
  backend: TfBackendSetting;
  /** One EMBEDDING_SIZE row per example. */
  embeddings: Float32Array;
  /** Each example's class: an index into `labels`. */
  classes: Int32Array;
  labels: string[];
  /** Example indices to fit on, and to score at the end. */
  train: number[];
  validation: number[];
  epochs: number;
  learningRate: number;
  batchSize: number;
  /** Per class: how much its examples count in the loss. */
  classWeights: number[];
  /** Seeds the initial weights. */
  seed: number;
}

/** The weight file the trained model.json names. */
export const HEAD_WEIGHTS_FILE = 'weights.bin';

export interface HeadTrainingResult {
  /** The TF.js artifact (model.json with the labels in its metadata, and its weights). */
  files: ArtifactFile[];
  /** Mean training loss of each epoch. */
  lossPerEpoch: number[];
  /** Scores of the validation examples, row-major [validation, labels], in `validation` order. */
  validationScores: Float32Array;
  /** The backend the thread trained on. */
  backend: string;
}

/** Training thread -> caller. */
export type HeadTrainingMessage =
  | { type: 'epoch'; epoch: number; loss: number }
  | {
      type: 'done';
      modelJson: Uint8Array;
      weights: Uint8Array;
      validationScores: Float32Array;
      lossPerEpoch: number[];
      backend: string;
    }
  | { type: 'failed'; message: string };
