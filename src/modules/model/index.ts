export { ModelModule } from './model.module';
export { ModelHttpModule } from './http/model-http.module';
export { ModelServer } from './model-server';
export type { ImageModelAnalysis, VersionPrediction } from './model-server';
export {
  INPUT_SIZE,
  MODERATION_LABELS,
  MODERATION_MODEL,
  ModelRuntime,
  PIXELS_PER_IMAGE,
} from './runtime';
export { BACKBONE_NAME } from './registry/bundled-model';
