import { Page } from './page';

export const IMAGE_STATUSES = ['pending', 'uploaded', 'processing', 'processed', 'failed'] as const;
/** pending -> uploaded -> processing -> processed | failed (failed -> processing on a retry). */
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export type ImageMetadata = Record<string, unknown>;

export interface ImageRecord {
  id: string;
  ownerId: string;
  status: ImageStatus;
  storageKey: string;
  derivativeKey: string | null;
  contentType: string | null;
  sizeBytes: number | null;
  /** Hex SHA-256 of the original bytes; null until they have been checked. */
  sha256: string | null;
  width: number | null;
  height: number | null;
  originalName: string | null;
  /** The client's own JSON object, given with the upload. */
  metadata: ImageMetadata | null;
  /** The hex SHA-256 a presigned upload announced, checked when it completes. */
  declaredSha256: string | null;
  /** The label a user gave back (ground truth for training). */
  label: string | null;
  labeledAt: Date | null;
  failureCode: string | null;
  failureMessage: string | null;
  /** Withheld from non-admins by the moderation policy (set when processed). */
  quarantined: boolean;
  createdAt: Date;
  updatedAt: Date;
  uploadedAt: Date | null;
  processedAt: Date | null;
  /** When retention removed the original bytes. */
  originalDeletedAt: Date | null;
}

export interface NewImage {
  /** A UUID chosen by the caller (e.g. to build the storage key from it); generated if absent. */
  id?: string;
  ownerId: string;
  storageKey: string;
  /** Default `pending`; a direct upload starts `uploaded` (stamping `uploadedAt`). */
  status?: ImageStatus;
  contentType?: string;
  sizeBytes?: number;
  sha256?: string;
  declaredSha256?: string;
  originalName?: string;
  /** The label a user gave with the upload (stamps `labeledAt`). */
  label?: string;
  metadata?: ImageMetadata;
}

/** Fields that change after creation; `null` clears a field, absent leaves it as it is. */
export type ImagePatch = Partial<
  Pick<
    ImageRecord,
    | 'derivativeKey'
    | 'contentType'
    | 'sizeBytes'
    | 'sha256'
    | 'width'
    | 'height'
    | 'label'
    | 'labeledAt'
    | 'failureCode'
    | 'failureMessage'
    | 'uploadedAt'
    | 'processedAt'
    | 'originalDeletedAt'
  >
>;

export interface ImageQuery {
  limit: number;
  cursor?: string;
  status?: ImageStatus | readonly ImageStatus[];
  /** The label a user gave. */
  label?: string;
  /** The top label of any of the image's predictions. */
  predictedLabel?: string;
  /** With `predictedLabel`: that prediction's top score is at least this. */
  predictedMinScore?: number;
  /** Inclusive. */
  createdFrom?: Date;
  /** Exclusive. */
  createdTo?: Date;
}

/** A presigned upload's completion, claimed by one completer until it ends or lapses. */
export interface CompletionClaim {
  image: ImageRecord;
  token: string;
}

/** How an upload ended: it became an image, or was a duplicate of the owner's image. */
export interface CompletedUpload {
  image: ImageRecord;
  duplicate: boolean;
}

export abstract class ImageRepository {
  /** Throws `DuplicateRecordError` on a taken storage key, id, or (owner, sha256). */
  abstract create(image: NewImage): Promise<ImageRecord>;

  /**
   * Creates the image, unless its owner has an image with the same sha256: then resolves with
   * that image instead (`duplicate: true`) and writes nothing. Races between uploads of the
   * same bytes are settled by the unique index: one creates, the others get its image.
   */
  abstract createUnlessDuplicate(image: NewImage & { sha256: string }): Promise<CompletedUpload>;

  /** Unscoped: for workers acting on an image id from a job. */
  abstract findById(id: string): Promise<ImageRecord | null>;

  abstract findByIdForOwner(id: string, ownerId: string): Promise<ImageRecord | null>;

  /** Newest first (created_at desc, id desc). Throws `InvalidCursorError` on a foreign cursor. */
  abstract findForOwner(ownerId: string, query: ImageQuery): Promise<Page<ImageRecord>>;

  abstract findBySha256ForOwner(ownerId: string, sha256: string): Promise<ImageRecord | null>;

  /**
   * Atomic compare-and-set: moves the image to `to` only if its status is (one of) `from`,
   * applying `patch` in the same statement. Resolves with the updated image, or null when the
   * image does not exist or was not in `from` (someone else moved it first).
   * Entering `uploaded`/`processed` stamps `uploadedAt`/`processedAt`; entering any status but
   * `failed` clears the failure code and message (unless `patch` sets them).
   */
  abstract transitionStatus(
    id: string,
    from: ImageStatus | readonly ImageStatus[],
    to: ImageStatus,
    patch?: ImagePatch,
  ): Promise<ImageRecord | null>;

  /** Resolves with the updated image, or null when absent (or not the owner's, when given). */
  abstract update(id: string, patch: ImagePatch, ownerId?: string): Promise<ImageRecord | null>;

  /** Resolves with the deleted image (its keys name the objects to remove), or null. */
  abstract delete(id: string, ownerId?: string): Promise<ImageRecord | null>;

  /** Whether `key` holds the original or derivative of a quarantined image. */
  abstract isQuarantinedObject(key: string): Promise<boolean>;

  /** Which of `ids` name an image (of any status); ids that are not uuids name none. */
  abstract findExistingIds(ids: string[]): Promise<Set<string>>;

  /** The image whose bytes are at `storageKey`, or null. */
  abstract findByStorageKey(storageKey: string): Promise<ImageRecord | null>;

  /**
   * Claims the completion of the owner's pending image for `leaseMs`, so that concurrent
   * completes make one transition. Null when the image is not the owner's pending image, or
   * another claim on it has not lapsed yet.
   */
  abstract claimCompletion(
    id: string,
    ownerId: string,
    leaseMs: number,
  ): Promise<CompletionClaim | null>;

  /** Gives a claim up, so that another completer may try. */
  abstract releaseCompletion(id: string, token: string): Promise<void>;

  /**
   * Ends a claimed completion in one atomic step: the image becomes `uploaded` with its sha256
   * and the key its bytes now live at; or, when the owner already has an image with that
   * sha256, the pending image is removed and recorded as a duplicate of that image (see
   * `findDuplicateUpload`). Null when the claim was lost: the image was removed, or another
   * completer took a lapsed claim over.
   */
  abstract completeUpload(
    id: string,
    token: string,
    result: { sha256: string; storageKey: string },
  ): Promise<CompletedUpload | null>;

  /** Removes the pending image whose completion is claimed with `token`; false if lost. */
  abstract abandonUpload(id: string, token: string): Promise<boolean>;

  /** The image an upload that completed as a duplicate answers with, or null. */
  abstract findDuplicateUpload(id: string, ownerId: string): Promise<ImageRecord | null>;

  /** Forgets the duplicates recorded before `createdBefore`; resolves with how many. */
  abstract deleteDuplicateUploads(createdBefore: Date): Promise<number>;

  /** Images that have sat in `status` since before `updatedBefore`, oldest first (sweepers). */
  abstract findStale(
    status: ImageStatus,
    updatedBefore: Date,
    limit: number,
  ): Promise<ImageRecord[]>;
}
