import { ImageRecord, NewPrediction } from '../../persistence';
import { CleanedImage } from './image-cleaner';

/**
 * A model run on every processed image (moderation, trained classifiers). The seam where the
 * real-time pipeline plugs its models in: provide `PREDICTION_HEADS` with the active heads.
 */
export interface PredictionHead {
  readonly name: string;
  predict(image: ImageRecord, cleaned: CleanedImage): Promise<NewPrediction>;
}

export const PREDICTION_HEADS = Symbol('PREDICTION_HEADS');
