import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PersistenceModule } from '../persistence';
import { BatchJobRegistry } from './batch-job-registry';
import { BatchLauncher } from './batch-launcher';
import { QueueModule } from '../queue/queue.module';
import { BatchSteps } from './batch-steps';
import { RealtimeFirst } from './realtime-first';

/**
 * What every role with batch jobs uses: the handlers found by `@BatchJob`, the launcher, the
 * queueing of run steps, and the yielding of batch work to real-time work.
 */
@Module({
  imports: [DiscoveryModule, PersistenceModule, QueueModule],
  providers: [BatchJobRegistry, BatchLauncher, BatchSteps, RealtimeFirst],
  exports: [BatchJobRegistry, BatchLauncher, BatchSteps, RealtimeFirst],
})
export class BatchCoreModule {}
