import type { ImageRecord } from './image';

/** One image's new label; `null` clears it. */
export interface LabelAssignment {
  imageId: string;
  label: string | null;
}

/** A labelled image as training sees it: its label, where its bytes are, its embedding. */
export interface LabelledExample {
  imageId: string;
  label: string;
  storageKey: string;
  /** False once retention removed the original: no embedding can be computed then. */
  originalAvailable: boolean;
  /** The embedding of the backbone asked for; null when it has not been computed. */
  embedding: Float32Array | null;
}

/** The labelled images of some labels, as a scheduled training looks at them. */
export interface LabelSummary {
  /** Images per label (labels without any are absent). */
  examplesPerLabel: Record<string, number>;
  /** When the last of those images was labelled; null when there are none. */
  lastLabeledAt: Date | null;
}

/**
 * The labels users give images back (ground truth), and the labelled examples training reads.
 * Setting a label a second time to the same value changes nothing (`labeledAt` stays), so
 * retries of one request are harmless.
 */
export abstract class LabelRepository {
  /**
   * Sets (or with null, clears) one image's label. Null when there is no such image, or it is
   * not `ownerId`'s (when given).
   */
  abstract setLabel(
    imageId: string,
    label: string | null,
    ownerId?: string,
  ): Promise<ImageRecord | null>;

  /**
   * Sets many labels in one transaction (the last assignment of an image wins); resolves with
   * the ids that named an image (of `ownerId`, when given). The others are left alone.
   */
  abstract setLabels(assignments: LabelAssignment[], ownerId?: string): Promise<Set<string>>;

  /**
   * Every image labelled with one of `labels` (every labelled image when empty), oldest
   * first, with its `embeddingModel` vector when there is one.
   */
  abstract findExamples(labels: string[], embeddingModel: string): Promise<LabelledExample[]>;

  /** Counts the images labelled with one of `labels` (any label when empty), per label. */
  abstract summarize(labels: string[]): Promise<LabelSummary>;
}
