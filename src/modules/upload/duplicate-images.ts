import { Injectable } from '@nestjs/common';
import { DuplicateRecordError, ImageRecord, ImageRepository } from '../persistence';

/** An upload answered with an image the owner already had. */
export interface UploadOutcome {
  image: ImageRecord;
  duplicate: boolean;
}

/**
 * Deduplication by (owner, sha256): the same bytes are stored once per owner. The unique
 * index settles races: the loser's write fails with `DuplicateRecordError`.
 */
@Injectable()
export class DuplicateImages {
  constructor(private readonly images: ImageRepository) {}

  /** The owner's image with these bytes, if it is past `pending`. */
  async find(ownerId: string, sha256: string): Promise<ImageRecord | null> {
    const found = await this.images.findBySha256ForOwner(ownerId, sha256.toLowerCase());
    return found && found.status !== 'pending' ? found : null;
  }

  /**
   * Runs `write`; when it loses a race to the same bytes, runs `discard` (which removes what
   * the loser stored) and answers with the image that won.
   */
  async settle(
    ownerId: string,
    sha256: string,
    write: () => Promise<ImageRecord>,
    discard: () => Promise<void>,
  ): Promise<UploadOutcome> {
    try {
      return { image: await write(), duplicate: false };
    } catch (error) {
      const existing =
        error instanceof DuplicateRecordError ? await this.find(ownerId, sha256) : null;
      if (!existing) throw error;
      await discard();
      return { image: existing, duplicate: true };
    }
  }
}
