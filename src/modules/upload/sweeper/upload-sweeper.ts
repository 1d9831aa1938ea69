import { Injectable } from '@nestjs/common';
import { Clock } from '../../../common/clock';
import { AppConfig } from '../../../config';
import { ImageRecord, ImageRepository } from '../../persistence';
import { ObjectStorage, ObjectSummary } from '../../storage/object-storage';
import { imageIdOfOriginal, ORIGINALS_PREFIX, STAGING_PREFIX, storedKeysOf } from '../image-keys';
import { COMPLETION_LEASE_MS } from '../presigned-upload.service';

/** Images handled per sweep; the next sweep takes the rest. */
export const SWEEP_BATCH_SIZE = 200;

export interface SweepResult {
  expired: number;
  /** Bytes PUT to an upload link after its upload was completed or removed. */
  strayUploads: number;
  /** Originals no image row names: written by an upload whose process died before its row. */
  orphanOriginals: number;
}

/**
 * Removes pending uploads whose link expired (row and any bytes), bytes that reached an
 * upload link after its upload ended (S3 links cannot be revoked), and originals whose upload
 * died before writing its row. Uploaded images whose job got lost are the realtime
 * reconciler's.
 */
@Injectable()
export class UploadSweeper {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: ObjectStorage,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async sweep(): Promise<SweepResult> {
    const now = this.clock.now();
    const linkExpiry = new Date(now - this.config.uploads.uploadUrlTtlS * 1000);
    const expired = await this.images.findStale('pending', linkExpiry, SWEEP_BATCH_SIZE);
    const removed = await Promise.all(expired.map((image) => this.removeExpired(image)));
    await this.images.deleteDuplicateUploads(linkExpiry);
    const strays = await this.removeStrayUploads();
    const orphans = await this.removeOrphanOriginals(now);
    return {
      expired: removed.filter(Boolean).length,
      strayUploads: strays,
      orphanOriginals: orphans,
    };
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

  /**
   * A direct upload stores its bytes before it writes its row and removes them when the row
   * fails, unless the database was unreachable (the row may have committed); that, or a
   * process killed in between, leaves bytes no row may name. Only objects older than any
   * upload can still be running (a request's timeout, plus a completion's lease) are judged, in
   * pages of one query each. This lists every original: O(objects) per sweep.
   */
  private async removeOrphanOriginals(now: number): Promise<number> {
    const settledBefore = now - this.config.http.requestTimeoutMs - COMPLETION_LEASE_MS;
    const old = (await this.storage.list(ORIGINALS_PREFIX)).filter(
      (object) => object.lastModified.getTime() < settledBefore,
    );
    let removed = 0;
    for (let start = 0; start < old.length; start += SWEEP_BATCH_SIZE) {
      const page = old.slice(start, start + SWEEP_BATCH_SIZE);
      const named = await this.images.findExistingIds(
        page.map(({ key }) => imageIdOfOriginal(key)),
      );
      const orphans = page.filter(({ key }) => !named.has(imageIdOfOriginal(key)));
      await Promise.all(orphans.map(({ key }) => this.storage.delete(key)));
      removed += orphans.length;
    }
    return removed;
  }

  private async isStray(object: ObjectSummary): Promise<boolean> {
    const upload = await this.images.findByStorageKey(object.key);
    return upload?.status !== 'pending';
  }
}
