import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module';
import { ProcessingEnqueuer } from './processing-enqueuer';
import { ImageProcessor } from './processing/image-processor';
import { ProcessImageConsumer } from './processing/process-image.consumer';
import { SweepUploadsConsumer } from './sweeper/sweep-uploads.consumer';
import { UploadSweeper } from './sweeper/upload-sweeper';

/**
 * Worker role: processes uploaded images (decode, auto-orient, strip, derivative, every
 * production model's prediction and the embedding) and runs the upload sweeper.
 */
@Module({
  imports: [ModelModule],
  providers: [
    ImageProcessor,
    ProcessImageConsumer,
    UploadSweeper,
    SweepUploadsConsumer,
    ProcessingEnqueuer,
  ],
})
export class UploadWorkerModule {}
