import { Module } from '@nestjs/common';
import { PersistenceModule } from '../persistence';
import { SweepUploadsConsumer } from './sweeper/sweep-uploads.consumer';
import { UploadSweeper } from './sweeper/upload-sweeper';
import { ClockModule } from '../../common/clock.module';
import { QueueModule } from '../queue/queue.module';
import { StorageModule } from '../storage/storage.module';

/**
 * Worker role: the upload sweeper (expired pending uploads, stray and orphaned bytes).
 * Processing is realtime's.
 */
@Module({
  imports: [PersistenceModule, StorageModule, QueueModule, ClockModule],
  providers: [UploadSweeper, SweepUploadsConsumer],
})
export class UploadWorkerModule {}
