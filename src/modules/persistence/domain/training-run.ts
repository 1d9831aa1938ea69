import type { Metrics } from './model';

export const TRAINING_RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type TrainingRunStatus = (typeof TRAINING_RUN_STATUSES)[number];

export interface TrainingRunRecord {
  id: string;
  modelId: string;
  modelName: string;
  status: TrainingRunStatus;
  /** What it was trained with: epochs, learning rate, seed, labels. */
  params: Metrics | null;
  /** Examples per label, loss per epoch, accuracy, per-label scores, confusion matrix... */
  metrics: Metrics | null;
  sampleCount: number | null;
  /** The version it made. */
  resultVersionId: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface TrainingRunOutcome {
  status: 'succeeded' | 'failed';
  metrics?: Metrics;
  sampleCount?: number;
  resultVersionId?: string;
  error?: string;
}

/** The record of every training of a model, whether it made a version or failed. */
export abstract class TrainingRunRepository {
  /**
   * Marks run `id` of `modelName` running, creating it when new (a retried run keeps its
   * row). Throws `RecordNotFoundError` when there is no such model.
   */
  abstract start(id: string, modelName: string, params: Metrics): Promise<TrainingRunRecord>;

  abstract finish(id: string, outcome: TrainingRunOutcome): Promise<TrainingRunRecord>;

  abstract find(id: string): Promise<TrainingRunRecord | null>;

  /** Newest first. */
  abstract listForModel(modelName: string, limit: number): Promise<TrainingRunRecord[]>;
}
