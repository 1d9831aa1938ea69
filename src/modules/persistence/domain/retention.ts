import { ImageRecord } from './image';

/**
 * What the retention job finds past its policy, oldest first, and how it removes it. Objects
 * are deleted by the caller before the rows that name them are changed.
 */
export abstract class RetentionRepository {
  /** Settled images (processed or failed) accepted before `cutoff` whose original is stored. */
  abstract countOriginalsBefore(cutoff: Date): Promise<number>;
  abstract originalsBefore(cutoff: Date, limit: number): Promise<ImageRecord[]>;
  /** Stamps `originalDeletedAt` on the images. */
  abstract markOriginalsDeleted(ids: string[], at: Date): Promise<void>;

  /** Images processed before `cutoff` that still have a derivative. */
  abstract countDerivativesBefore(cutoff: Date): Promise<number>;
  abstract derivativesBefore(cutoff: Date, limit: number): Promise<ImageRecord[]>;
  abstract clearDerivatives(ids: string[]): Promise<void>;

  /** Predictions stored before `cutoff`. */
  abstract countPredictionsBefore(cutoff: Date): Promise<number>;
  abstract deletePredictionsBefore(cutoff: Date, limit: number): Promise<number>;
}
