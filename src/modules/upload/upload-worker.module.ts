import { Module } from '@nestjs/common';
import { PersistenceModule } from '../persistence';
import { SweepUploadsConsumer } from './sweeper/sweep-uploads.consumer';
import { UploadSweeper } from './sweeper/upload-sweeper';

/** Worker role: the upload sweeper (pending uploads whose link expired). Processing is realtime's. */
@Module({ imports: [PersistenceModule], providers: [UploadSweeper, SweepUploadsConsumer] })
export class UploadWorkerModule {}
