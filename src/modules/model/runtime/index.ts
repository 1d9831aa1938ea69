export { TF_BACKEND_NAMES, initTfBackend } from './backend';
export type { TfBackendName } from './backend';
export {
  EMBEDDING_SIZE,
  INPUT_SIZE,
  loadBundledMobileNet,
  MODERATION_LABELS,
  MODERATION_MODEL,
  PIXELS_PER_IMAGE,
} from './bundled-mobilenet';
export type { ModerationLabel } from './bundled-mobilenet';
export { Batcher } from './batcher';
export type { BatcherOptions, RunBatch } from './batcher';
export { preprocessImage } from './image-preprocessor';
export { rankLabels } from './rank-labels';
export { ModelRuntime } from './model-runtime';
export type {
  ImageAnalysis,
  InferenceLane,
  InferenceOptions,
  LabelScore,
  RuntimeHead,
} from './model-runtime';
export { describeEngine } from './inference-engine';
export type { InferenceEngine } from './inference-engine';
export { ModelRuntimeModule } from './model-runtime.module';
