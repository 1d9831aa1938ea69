import { Module } from '@nestjs/common';
import { BatchSchedules } from './batch-schedules';
import { QueueModule } from '../queue/queue.module';

/** Scheduler role: the cron schedules of batch jobs (BATCH_CRON_*). */
@Module({ imports: [QueueModule], providers: [BatchSchedules] })
export class BatchSchedulerModule {}
