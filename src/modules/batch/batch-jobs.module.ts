import { Module } from '@nestjs/common';
import { ModelModule } from '../model';
import { PersistenceModule } from '../persistence';
import { BackfillPredictionsJob } from './jobs/backfill-predictions.job';
import { ComputeEmbeddingsJob } from './jobs/compute-embeddings.job';
import { BatchCoreModule } from './batch-core.module';
import { ImageChunks } from './jobs/image-chunks';
import { TrainingModule } from './training/training.module';
import { StorageModule } from '../storage/storage.module';

/**
 * The batch jobs of this module (web: their options; worker: their work): embeddings and
 * prediction backfills over every image. Other modules provide their own `@BatchJob`s.
 */
@Module({
  imports: [ModelModule, PersistenceModule, StorageModule, BatchCoreModule, TrainingModule],
  providers: [ImageChunks, ComputeEmbeddingsJob, BackfillPredictionsJob],
})
export class BatchJobsModule {}
