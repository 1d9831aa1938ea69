import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../common/app-error';
import { AppConfig } from '../../config';
import { CompletionClaim, ImageRecord, ImageRepository } from '../persistence';
import {
  ObjectNotFoundError,
  ObjectStat,
  ObjectStorage,
  SignedUrl,
} from '../storage/object-storage';
import { ChecksumMismatchError, SizeMismatchError } from '../storage/storage-errors';
import { CreateUploadDto } from './dto/create-upload.dto';
import { DuplicateImages, UploadOutcome } from './duplicate-images';
import { imageTypeOf, isSupportedImageType, normalizeContentType } from './image-bytes';
import { originalKey, stagingKey } from './image-keys';
import { checkLabel, checkMetadata } from './image-metadata';
import { ProcessingEnqueuer } from './processing-enqueuer';
import { digestStoredObject } from './stored-object-digest';
import {
  completionInProgress,
  emptyFile,
  imageNotFound,
  unsupportedImageType,
  uploadedWithAnotherType,
  uploadIncomplete,
  uploadTooLarge,
} from './upload-errors';

/** A pending image and the link its bytes go to. */
export interface PendingUpload {
  image: ImageRecord;
  link: SignedUrl;
}

/**
 * How long a completer holds an upload's completion: enough to copy and hash the largest
 * image on a slow store. A crashed completer's claim lapses after it; other completes wait.
 */
export const COMPLETION_LEASE_MS = 60_000;
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 250;

/** Failures that condemn the bytes that arrived (the client must start over). */
const REJECTING_STATUSES = new Set<number>([
  HttpStatus.BAD_REQUEST,
  HttpStatus.FORBIDDEN,
  HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  HttpStatus.UNPROCESSABLE_ENTITY,
]);

/**
 * `POST /v1/uploads` and its completion: the bytes go straight to storage through a signed
 * link (S3 presigned PUT, or the app's own signed URL on local disk), then completion checks
 * what arrived against what was declared before the image enters the pipeline.
 */
@Injectable()
export class PresignedUploadService {
  private readonly logger = new Logger(PresignedUploadService.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly storage: ObjectStorage,
    private readonly duplicates: DuplicateImages,
    private readonly enqueuer: ProcessingEnqueuer,
    private readonly config: AppConfig,
  ) {}

  /** A new pending image and its upload link, or the owner's image with the same sha256. */
  async start(ownerId: string, request: CreateUploadDto): Promise<PendingUpload | UploadOutcome> {
    const contentType = this.checkDeclaration(request);
    const label = request.label === undefined ? undefined : checkLabel(request.label);
    const metadata = request.metadata === undefined ? undefined : checkMetadata(request.metadata);
    const declaredSha256 = request.sha256?.toLowerCase();
    const existing = declaredSha256 && (await this.duplicates.find(ownerId, declaredSha256));
    if (existing) return { image: existing, duplicate: true };
    const id = randomUUID();
    const storageKey = stagingKey(ownerId, id);
    const link = await this.storage.signedPutUrl(storageKey, {
      expiresInS: this.config.uploads.uploadUrlTtlS,
      contentType,
      contentLength: request.size,
    });
    const image = await this.images.create({
      id,
      ownerId,
      storageKey,
      status: 'pending',
      contentType,
      sizeBytes: request.size,
      declaredSha256,
      label,
      metadata,
    });
    return { image, link };
  }

  /**
   * Idempotent, and one transition however many completes race (a client's retries): the
   * first claims the upload and does the work, the others wait for its outcome. Every caller
   * gets the same answer: the image, or the owner's image with the same bytes.
   */
  async complete(ownerId: string, id: string): Promise<UploadOutcome> {
    const deadline = Date.now() + COMPLETION_LEASE_MS;
    for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(MAX_POLL_MS, pollMs * 2)) {
      // Claim first: for a pending upload (the usual case) that is the only look-up.
      const claim = await this.images.claimCompletion(id, ownerId, COMPLETION_LEASE_MS);
      const outcome = claim
        ? await this.completeClaimed(claim).catch((error: unknown) =>
            this.unlessSettledMeanwhile(ownerId, id, error),
          )
        : await this.settledOutcome(ownerId, id);
      if (outcome) return outcome;
      if (Date.now() > deadline) throw completionInProgress();
      if (!claim) await sleep(pollMs);
    }
  }

  private checkDeclaration(request: CreateUploadDto): string {
    const contentType = normalizeContentType(request.contentType);
    if (!isSupportedImageType(contentType)) throw unsupportedImageType(request.contentType);
    if (request.size === 0) throw emptyFile();
    const maxBytes = this.config.http.maxUploadBytes;
    if (request.size > maxBytes) throw uploadTooLarge(maxBytes);
    return contentType;
  }

  /**
   * Bytes gone from under a completion mean the upload was deleted (404) or settled by another
   * replica meanwhile (its answer); otherwise the error stands.
   */
  private async unlessSettledMeanwhile(
    ownerId: string,
    id: string,
    error: unknown,
  ): Promise<UploadOutcome> {
    if (!(error instanceof AppError && error.code === 'upload_incomplete')) throw error;
    const settled = await this.settledOutcome(ownerId, id);
    if (!settled) throw error;
    return settled;
  }

  /** How a completed upload answers; null while it is pending; 404 when there is none. */
  private async settledOutcome(ownerId: string, id: string): Promise<UploadOutcome | null> {
    const image = await this.images.findByIdForOwner(id, ownerId);
    if (image) return image.status === 'pending' ? null : { image, duplicate: false };
    const original = await this.images.findDuplicateUpload(id, ownerId);
    if (original) return { image: original, duplicate: true };
    throw imageNotFound();
  }

  /**
   * The claimed upload's bytes are copied from the link's staging key to the image's own key
   * (which no link reaches), checked there, and the image moves in one atomic step. Null when
   * the claim was lost meanwhile (the caller looks again).
   */
  private async completeClaimed({ image, token }: CompletionClaim): Promise<UploadOutcome | null> {
    const target = originalKey(image.ownerId, image.id);
    let sha256: string;
    try {
      sha256 = await this.copyChecked(image, target);
    } catch (error) {
      await this.giveUp(image, token, target, error).catch((cleanup: Error) =>
        this.logger.warn(`Upload ${image.id}: ${cleanup.message} (its claim lapses instead)`),
      );
      throw error;
    }
    const done = await this.images.completeUpload(image.id, token, { sha256, storageKey: target });
    if (!done) {
      // Lost: removed meanwhile (then the copy is nobody's), or taken over (then it is theirs).
      if (!(await this.images.findById(image.id))) await this.storage.delete(target);
      return null;
    }
    if (done.duplicate) await this.storage.delete(target);
    else await this.enqueuer.enqueue(done.image);
    // The upload is complete: a storage that refuses to drop the staging copy now must not
    // turn that into an error (it used to answer 500, or 503 during an outage, before the
    // image was even enqueued). The upload sweep removes a staging object whose upload is no
    // longer pending.
    await this.storage
      .delete(image.storageKey)
      .catch((error: Error) =>
        this.logger.warn(`Upload ${image.id}: staging object left to the sweep: ${error.message}`),
      );
    return done;
  }

  /** The sha256 of the bytes copied to `target`, once they match the declaration. */
  private async copyChecked(image: ImageRecord, target: string): Promise<string> {
    const staged = await this.storage.stat(image.storageKey);
    if (!staged) throw uploadIncomplete();
    checkStoredAsDeclared(image, staged);
    const copied = await this.storage.copy(image.storageKey, target).catch((error: unknown) => {
      throw error instanceof ObjectNotFoundError ? uploadIncomplete() : error;
    });
    checkStoredAsDeclared(image, copied);
    const { head, sha256 } = await digestStoredObject(this.storage, target);
    imageTypeOf(head, image.contentType ?? undefined);
    if (image.declaredSha256 && sha256 !== image.declaredSha256) throw new ChecksumMismatchError();
    return sha256;
  }

  /**
   * Bytes that are not what was declared condemn the upload (the client must start over);
   * any other failure leaves it pending for a retry. Either way the claim ends here.
   */
  private async giveUp(
    image: ImageRecord,
    token: string,
    target: string,
    error: unknown,
  ): Promise<void> {
    const rejected =
      (error instanceof AppError && REJECTING_STATUSES.has(error.getStatus())) ||
      error instanceof SizeMismatchError ||
      error instanceof ChecksumMismatchError;
    await this.storage.delete(target);
    if (rejected && (await this.images.abandonUpload(image.id, token))) {
      await this.storage.delete(image.storageKey);
    } else {
      await this.images.releaseCompletion(image.id, token);
    }
  }
}

function checkStoredAsDeclared(image: ImageRecord, stored: ObjectStat): void {
  if (normalizeContentType(stored.contentType) !== image.contentType) {
    throw uploadedWithAnotherType();
  }
  if (stored.size !== image.sizeBytes)
    throw new SizeMismatchError(image.sizeBytes ?? 0, stored.size);
}
