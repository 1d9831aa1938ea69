import { ImageRecord, ImageStatus, PredictionRecord } from '../../persistence';

/** One model's answer as events and webhooks carry it. */
export interface PredictionSnapshot {
  model: string;
  version: number;
  label: string;
  score: number;
  scores: { label: string; score: number }[];
}

/** The image's state as events and webhooks carry it (JSON: dates as ISO strings). */
export interface ImageSnapshot {
  id: string;
  status: ImageStatus;
  quarantined: boolean;
  width: number | null;
  height: number | null;
  failureCode: string | null;
  failureMessage: string | null;
  uploadedAt: string | null;
  processedAt: string | null;
  predictions: PredictionSnapshot[];
}

/** What a `status` event carries. */
export type StatusSnapshot = Pick<
  ImageSnapshot,
  'id' | 'status' | 'quarantined' | 'failureCode' | 'failureMessage'
>;

export const FINAL_STATUSES: readonly ImageStatus[] = ['processed', 'failed'];

export function imageSnapshot(image: ImageRecord, predictions: PredictionRecord[]): ImageSnapshot {
  return {
    ...statusSnapshot(image),
    width: image.width,
    height: image.height,
    uploadedAt: image.uploadedAt?.toISOString() ?? null,
    processedAt: image.processedAt?.toISOString() ?? null,
    predictions: predictions.map(predictionSnapshot),
  };
}

export function statusSnapshot(image: ImageRecord): StatusSnapshot {
  return {
    id: image.id,
    status: image.status,
    quarantined: image.quarantined,
    failureCode: image.failureCode,
    failureMessage: image.failureMessage,
  };
}

export function predictionSnapshot(prediction: PredictionRecord): PredictionSnapshot {
  return {
    model: prediction.modelName,
    version: prediction.modelVersion,
    label: prediction.topLabel,
    score: prediction.topScore,
    scores: prediction.scores,
  };
}
