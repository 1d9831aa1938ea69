import { Module } from '@nestjs/common';
import { PersistenceModule } from '../persistence';
import { BatchCoreModule } from './batch-core.module';
import { BatchJobsModule } from './batch-jobs.module';
import { BatchController } from './batch.controller';

/** Web role: the admin batch API (start a run, follow it, list runs). */
@Module({
  imports: [BatchCoreModule, BatchJobsModule, PersistenceModule],
  controllers: [BatchController],
  exports: [BatchCoreModule],
})
export class BatchModule {}
