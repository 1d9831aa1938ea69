import { Module } from '@nestjs/common';
import { ModelModule } from '../model';
import { ComputeEmbeddingsJob } from './jobs/compute-embeddings.job';
import { ImageChunks } from './jobs/image-chunks';

/**
 * The batch jobs of this module (web: their options; worker: their work): embeddings and
 * prediction backfills over every image. Other modules provide their own `@BatchJob`s.
 */
@Module({
  imports: [ModelModule],
  providers: [ImageChunks, ComputeEmbeddingsJob],
})
export class BatchJobsModule {}
