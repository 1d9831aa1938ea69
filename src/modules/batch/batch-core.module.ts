import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BatchJobRegistry } from './batch-job-registry';
import { BatchLauncher } from './batch-launcher';

/** What every role with batch jobs uses: the handlers found by `@BatchJob`, and the launcher. */
@Module({
  imports: [DiscoveryModule],
  providers: [BatchJobRegistry, BatchLauncher],
  exports: [BatchJobRegistry, BatchLauncher],
})
export class BatchCoreModule {}
