import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../config';
import { ImageRecord, ImageRepository } from '../../persistence';
import { ObjectStorage } from '../../storage/object-storage';

/** Images handled per sweep; the next sweep takes the rest. */
export const SWEEP_BATCH_SIZE = 200;

export interface SweepResult {
  expired: number;
}

/**
 * Removes pending uploads whose link expired (row and any bytes). Uploaded images whose job
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
    return { expired: removed.filter(Boolean).length };
  }

  /** Claims the image first, so a completion racing the sweep either wins or finds it gone. */
  private async removeExpired(image: ImageRecord): Promise<boolean> {
    const claimed = await this.images.transitionStatus(image.id, 'pending', 'failed', {
      failureCode: 'upload_expired',
      failureMessage: 'The upload link expired before the upload was completed',
    });
    if (!claimed) return false;
    await this.storage.delete(image.storageKey);
    await this.images.delete(image.id);
    return true;
  }
}
