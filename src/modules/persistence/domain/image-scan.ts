import { ImageRecord } from './image';

/** Processed images with ids in (`after`, `last`]: one chunk of a batch run. */
export interface ImageIdRange {
  after: string | null;
  last: string;
}

/**
 * Batch jobs' walk over every processed image, in id order: split into ranges once, then
 * read range by range from a cursor (ids are time-ordered uuid v7s, and unique).
 */
export abstract class ImageScanRepository {
  /** Ranges of at most `size` processed images covering them all, and their count. */
  abstract planRanges(size: number): Promise<{ total: number; ranges: ImageIdRange[] }>;

  /** Up to `limit` processed images of the range, in id order. */
  abstract page(range: ImageIdRange, limit: number): Promise<ImageRecord[]>;

  /** Which of `imageIds` have an embedding of `model`. */
  abstract withEmbedding(imageIds: string[], model: string): Promise<Set<string>>;

  /** Which of `imageIds` have a prediction of the model version `versionId`. */
  abstract withPrediction(imageIds: string[], versionId: string): Promise<Set<string>>;
}
