import { Injectable, OnModuleInit } from '@nestjs/common';
import { ImageRepository } from '../persistence';
import { SignedPutAdmission } from '../storage/signed-put-admission';
import { STAGING_PREFIX } from './image-keys';

/**
 * Makes upload links single-use where the app serves them itself (local disk): a PUT is
 * refused once its upload is no longer pending (completed, removed or expired).
 */
@Injectable()
export class UploadLinkAdmission implements OnModuleInit {
  constructor(
    private readonly admission: SignedPutAdmission,
    private readonly images: ImageRepository,
  ) {}

  onModuleInit(): void {
    this.admission.register(STAGING_PREFIX, async (key) => {
      const upload = await this.images.findByStorageKey(key);
      return upload?.status === 'pending';
    });
  }
}
