import { Module } from '@nestjs/common';
import { BatchSchedules } from './batch-schedules';

/** Scheduler role: the cron schedules of batch jobs (BATCH_CRON_*). */
@Module({ providers: [BatchSchedules] })
export class BatchSchedulerModule {}
