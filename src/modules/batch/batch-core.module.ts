import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PersistenceModule } from '../persistence';
import { BatchJobRegistry } from './batch-job-registry';
import { BatchLauncher } from './batch-launcher';
import { BatchSteps } from './batch-steps';

/**
 * What every role with batch jobs uses: the handlers found by `@BatchJob`, the launcher, and
 * the queueing of run steps.
 */
@Module({
  imports: [DiscoveryModule, PersistenceModule],
  providers: [BatchJobRegistry, BatchLauncher, BatchSteps],
  exports: [BatchJobRegistry, BatchLauncher, BatchSteps],
})
export class BatchCoreModule {}
