import { Module } from '@nestjs/common';
import { SweepUploadsConsumer } from './sweeper/sweep-uploads.consumer';
import { UploadSweeper } from './sweeper/upload-sweeper';

/** Worker role: the upload sweeper (pending uploads whose link expired). Processing is realtime's. */
@Module({ providers: [UploadSweeper, SweepUploadsConsumer] })
export class UploadWorkerModule {}
