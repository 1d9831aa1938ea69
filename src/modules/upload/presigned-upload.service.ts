import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError } from '../../common/app-error';
import { AppConfig } from '../../config';
import { ImageRecord, ImageRepository } from '../persistence';
import { ObjectStorage, SignedUrl } from '../storage/object-storage';
import { CreateUploadDto } from './dto/create-upload.dto';
import { DuplicateImages, UploadOutcome } from './duplicate-images';
import { imageTypeOf, isSupportedImageType, normalizeContentType } from './image-bytes';
import { originalKey } from './image-keys';
import { checkLabel, checkMetadata } from './image-metadata';
import { ProcessingEnqueuer } from './processing-enqueuer';
import { digestStoredObject } from './stored-object-digest';
import {
  checksumMismatch,
  emptyFile,
  imageNotFound,
  sizeMismatch,
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
    const storageKey = originalKey(ownerId, id);
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

  /** Idempotent: completing an image that is past `pending` answers with it as it is. */
  async complete(ownerId: string, id: string): Promise<UploadOutcome> {
    const image = await this.images.findByIdForOwner(id, ownerId);
    if (!image) throw imageNotFound();
    if (image.status !== 'pending') return { image, duplicate: false };
    const sha256 = await this.verify(image);
    const existing = await this.duplicates.find(ownerId, sha256);
    if (existing) {
      await this.discard(image);
      return { image: existing, duplicate: true };
    }
    const outcome = await this.duplicates.settle(
      ownerId,
      sha256,
      () => this.markUploaded(image, sha256),
      () => this.discard(image),
    );
    if (!outcome.duplicate && outcome.image.status === 'uploaded') {
      await this.enqueuer.enqueue(outcome.image);
    }
    return outcome;
  }

  private checkDeclaration(request: CreateUploadDto): string {
    const contentType = normalizeContentType(request.contentType);
    if (!isSupportedImageType(contentType)) throw unsupportedImageType(request.contentType);
    if (request.size === 0) throw emptyFile();
    const maxBytes = this.config.http.maxUploadBytes;
    if (request.size > maxBytes) throw uploadTooLarge(maxBytes);
    return contentType;
  }

  /** The sha256 of the bytes that arrived, once they match the declaration. */
  private async verify(image: ImageRecord): Promise<string> {
    const found = await this.storage.stat(image.storageKey);
    if (!found) throw uploadIncomplete();
    try {
      if (normalizeContentType(found.contentType) !== image.contentType) {
        throw uploadedWithAnotherType();
      }
      if (found.size !== image.sizeBytes) throw sizeMismatch(image.sizeBytes ?? 0, found.size);
      const { head, sha256 } = await digestStoredObject(this.storage, image.storageKey);
      imageTypeOf(head, image.contentType ?? undefined);
      if (image.declaredSha256 && sha256 !== image.declaredSha256) throw checksumMismatch();
      return sha256;
    } catch (error) {
      if (error instanceof AppError && REJECTING_STATUSES.has(error.getStatus())) {
        await this.discard(image);
      }
      throw error;
    }
  }

  /** Compare-and-set, so concurrent completions move the image (and enqueue it) once. */
  private async markUploaded(image: ImageRecord, sha256: string): Promise<ImageRecord> {
    const moved = await this.images.transitionStatus(image.id, 'pending', 'uploaded', { sha256 });
    if (moved) return moved;
    const current = await this.images.findByIdForOwner(image.id, image.ownerId);
    if (!current || current.status === 'pending' || current.status === 'failed') {
      throw imageNotFound();
    }
    return current;
  }

  private async discard(image: ImageRecord): Promise<void> {
    await this.storage.delete(image.storageKey);
    await this.images.delete(image.id, image.ownerId);
  }
}
