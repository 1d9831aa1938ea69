import { Module } from '@nestjs/common';
import { BatchCoreModule } from './batch-core.module';
import { BatchJobsModule } from './batch-jobs.module';
import { BatchController } from './batch.controller';

/** Web role: the admin batch API (start a run, follow it, list runs). */
@Module({
  imports: [BatchCoreModule, BatchJobsModule],
  controllers: [BatchController],
  exports: [BatchCoreModule],
})
export class BatchModule {}
