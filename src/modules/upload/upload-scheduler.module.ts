import { Module } from '@nestjs/common';
import { SweepUploadsSchedule } from './sweeper/sweep-uploads.schedule';
import { QueueModule } from '../queue/queue.module';

/** Scheduler role: the recurring upload sweep. */
@Module({ imports: [QueueModule], providers: [SweepUploadsSchedule] })
export class UploadSchedulerModule {}
