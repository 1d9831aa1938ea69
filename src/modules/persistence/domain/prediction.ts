export interface LabelScore {
  label: string;
  score: number;
}

export interface NewPrediction {
  modelVersionId: string;
  /** Any order; stored highest score first. Must not be empty. */
  scores: LabelScore[];
  latencyMs: number;
}

export interface PredictionRecord {
  id: string;
  imageId: string;
  modelVersionId: string;
  modelName: string;
  modelVersion: number;
  /** Highest score first. */
  scores: LabelScore[];
  topLabel: string;
  topScore: number;
  latencyMs: number;
  createdAt: Date;
}

export abstract class PredictionRepository {
  /**
   * Stores an image's predictions in one transaction, replacing any earlier prediction of the
   * same model version (so a retried job stores each once). Resolves in the given order.
   */
  abstract saveForImage(imageId: string, predictions: NewPrediction[]): Promise<PredictionRecord[]>;

  /** Oldest first. */
  abstract listForImage(imageId: string): Promise<PredictionRecord[]>;
}
