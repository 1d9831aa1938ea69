import { Injectable } from '@nestjs/common';
import { ImageRecord, ImageRepository } from '../persistence';

/** An upload answered with an image the owner already had. */
export interface UploadOutcome {
  image: ImageRecord;
  duplicate: boolean;
}

/**
 * Deduplication by (owner, sha256): the same bytes are stored once per owner. The unique
 * index settles races (`ImageRepository.createUnlessDuplicate`, `completeUpload`).
 */
@Injectable()
export class DuplicateImages {
  constructor(private readonly images: ImageRepository) {}

  /** The owner's image with these bytes, if it is past `pending`. */
  async find(ownerId: string, sha256: string): Promise<ImageRecord | null> {
    const found = await this.images.findBySha256ForOwner(ownerId, sha256.toLowerCase());
    return found && found.status !== 'pending' ? found : null;
  }
}
