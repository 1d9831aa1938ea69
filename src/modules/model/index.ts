export { ModelModule } from './model.module';
export { ModelHttpModule } from './http/model-http.module';
export { ModelServer } from './model-server';
export type { ImageModelAnalysis, VersionPrediction } from './model-server';
export {
  EMBEDDING_SIZE,
  INPUT_SIZE,
  MODERATION_LABELS,
  MODERATION_MODEL,
  ModelRuntime,
  PIXELS_PER_IMAGE,
} from './runtime';
export { BACKBONE_NAME, BUNDLED_ARTIFACT_KEY } from './registry/bundled-model';
export { ModelRegistry } from './model-registry';
export type { ArtifactFile, ModelSummary } from './model-registry';
export { HeadTrainer } from './training/head-trainer';
export type { HeadTrainingInput, HeadTrainingResult } from './training/head-training-messages';
