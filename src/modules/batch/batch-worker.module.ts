import { Module } from '@nestjs/common';
import { PersistenceModule } from '../persistence';
import { BatchCoreModule } from './batch-core.module';
import { BatchJobsModule } from './batch-jobs.module';
import { BatchReconciler } from './batch-reconciler';
import { BatchRunner } from './batch-runner';
import { BatchWorkerConsumer } from './batch-worker.consumer';
import { QueueModule } from '../queue/queue.module';

/**
 * Worker role: runs the steps of batch runs from the `batch` queue, and queues again the next
 * step of runs whose jobs were lost.
 */
@Module({
  imports: [BatchCoreModule, BatchJobsModule, PersistenceModule, QueueModule],
  providers: [BatchRunner, BatchWorkerConsumer, BatchReconciler],
})
export class BatchWorkerModule {}
