import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PersistenceModule } from '../persistence';
import { BatchJobRegistry } from './batch-job-registry';
import { BatchLauncher } from './batch-launcher';
import { QueueModule } from '../queue/queue.module';

/** What every role with batch jobs uses: the handlers found by `@BatchJob`, and the launcher. */
@Module({
  imports: [DiscoveryModule, PersistenceModule, QueueModule],
  providers: [BatchJobRegistry, BatchLauncher],
  exports: [BatchJobRegistry, BatchLauncher],
})
export class BatchCoreModule {}
