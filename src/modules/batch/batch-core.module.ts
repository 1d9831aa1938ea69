import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PersistenceModule } from '../persistence';
import { BatchJobRegistry } from './batch-job-registry';
import { BatchLauncher } from './batch-launcher';
import { RealtimeFirst } from './realtime-first';

/**
 * What every role with batch jobs uses: the handlers found by `@BatchJob`, the launcher, and
 * the yielding of batch work to real-time work.
 */
@Module({
  imports: [DiscoveryModule, PersistenceModule],
  providers: [BatchJobRegistry, BatchLauncher, RealtimeFirst],
  exports: [BatchJobRegistry, BatchLauncher, RealtimeFirst],
})
export class BatchCoreModule {}
