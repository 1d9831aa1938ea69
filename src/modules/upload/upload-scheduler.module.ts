import { Module } from '@nestjs/common';
import { SweepUploadsSchedule } from './sweeper/sweep-uploads.schedule';

/** Scheduler role: the recurring upload sweep. */
@Module({ providers: [SweepUploadsSchedule] })
export class UploadSchedulerModule {}
