import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../config';
import { ImageRecord, ImageRepository } from '../../persistence';
import { ObjectStorage, ObjectSummary } from '../../storage/object-storage';
import { STAGING_PREFIX, storedKeysOf } from '../image-keys';
import { COMPLETION_LEASE_MS } from '../presigned-upload.service';

/** Images handled per sweep; the next sweep takes the rest. */
export const SWEEP_BATCH_SIZE = 200;

export interface SweepResult {
  expired: number;
  /** Bytes PUT to an upload link after its upload was completed or removed. */
  strayUploads: number;
}

/**
 * Removes pending uploads whose link expired (row and any bytes), and bytes that reached an
 * upload link after its upload ended (S3 links cannot be revoked). Uploaded images whose job
 * got lost are the realtime reconciler's.
 */
@Injectable()
export class UploadSweeper {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: ObjectStorage,
    private readonly config: AppConfig,
  ) {}

  async sweep(now = Date.now()): Promise<SweepResult> {
    const linkExpiry = new Date(now - this.config.uploads.uploadUrlTtlS * 1000);
    const expired = await this.images.findStale('pending', linkExpiry, SWEEP_BATCH_SIZE);
    const removed = await Promise.all(expired.map((image) => this.removeExpired(image)));
    await this.images.deleteDuplicateUploads(linkExpiry);
    const strays = await this.removeStrayUploads();
    return { expired: removed.filter(Boolean).length, strayUploads: strays };
  }

  /** Claims the completion first, so a completion racing the sweep either wins or finds it gone. */
  private async removeExpired(image: ImageRecord): Promise<boolean> {
    const claim = await this.images.claimCompletion(image.id, image.ownerId, COMPLETION_LEASE_MS);
    if (!claim) return false;
    await Promise.all(storedKeysOf(image).map((key) => this.storage.delete(key)));
    return this.images.abandonUpload(image.id, claim.token);
  }

  /**
   * Staging objects whose upload is no longer pending: no completion will ever read them.
   * Oldest first, so that strays get their turn however many uploads are in flight.
   */
  private async removeStrayUploads(): Promise<number> {
    const staged = (await this.storage.list(STAGING_PREFIX))
      .sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime())
      .slice(0, SWEEP_BATCH_SIZE);
    const strays = await Promise.all(staged.map((object) => this.isStray(object)));
    const keys = staged.filter((_, i) => strays[i]).map((object) => object.key);
    await Promise.all(keys.map((key) => this.storage.delete(key)));
    return keys.length;
  }

  private async isStray(object: ObjectSummary): Promise<boolean> {
    const upload = await this.images.findByStorageKey(object.key);
    return upload?.status !== 'pending';
  }
}
