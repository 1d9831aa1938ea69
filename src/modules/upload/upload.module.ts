import { Module } from '@nestjs/common';
import { MultipartModule } from '../../common/http/multipart/multipart.module';
import { PersistenceModule } from '../persistence';
import { DirectUploadService } from './direct-upload.service';
import { DuplicateImages } from './duplicate-images';
import { ImageCatalogService } from './image-catalog.service';
import { ImageContentController } from './image-content.controller';
import { ImageDeliveryService } from './image-delivery.service';
import { ImagePresenter } from './image-presenter';
import { ImagesController } from './images.controller';
import { LabelsController } from './labels.controller';
import { LabelsService } from './labels.service';
import { PresignedUploadService } from './presigned-upload.service';
import { ProcessingEnqueuer } from './processing-enqueuer';
import { UploadLinkAdmission } from './upload-link-admission';
import { UploadsController } from './uploads.controller';
import { QueueModule } from '../queue/queue.module';
import { StorageModule } from '../storage/storage.module';

/**
 * Web role: direct (multipart) uploads, presigned upload links and their completion, image
 * listing, retrieval, content delivery, labels and deletion. Produces `process-image` jobs.
 */
@Module({
  imports: [MultipartModule, PersistenceModule, StorageModule, QueueModule],
  controllers: [ImagesController, ImageContentController, UploadsController, LabelsController],
  providers: [
    DirectUploadService,
    PresignedUploadService,
    ImageCatalogService,
    ImageDeliveryService,
    ImagePresenter,
    LabelsService,
    DuplicateImages,
    ProcessingEnqueuer,
    UploadLinkAdmission,
  ],
})
export class UploadModule {}
