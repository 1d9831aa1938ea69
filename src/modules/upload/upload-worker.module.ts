import { Module } from '@nestjs/common';
import { ProcessingEnqueuer } from './processing-enqueuer';
import { ImageProcessor } from './processing/image-processor';
import { PREDICTION_HEADS } from './processing/prediction-heads';
import { ProcessImageConsumer } from './processing/process-image.consumer';
import { SweepUploadsConsumer } from './sweeper/sweep-uploads.consumer';
import { UploadSweeper } from './sweeper/upload-sweeper';

/**
 * Worker role: processes uploaded images (decode, auto-orient, strip, derivative) and runs the
 * upload sweeper. No prediction heads yet: the real-time pipeline provides them.
 */
@Module({
  providers: [
    ImageProcessor,
    ProcessImageConsumer,
    UploadSweeper,
    SweepUploadsConsumer,
    ProcessingEnqueuer,
    { provide: PREDICTION_HEADS, useValue: [] },
  ],
})
export class UploadWorkerModule {}
