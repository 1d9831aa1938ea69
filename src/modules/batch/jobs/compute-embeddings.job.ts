import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { BACKBONE_NAME, ModelRuntime } from '../../model';
import { BatchCounters, EmbeddingRepository, ImageScanRepository } from '../../persistence';
import {
  BatchChunkContext,
  BatchFanOut,
  BatchJob,
  BatchJobHandler,
  BatchRunContext,
  parseBatchOptions,
} from '../batch-job';
import { RealtimeFirst } from '../realtime-first';
import { ImageChunks } from './image-chunks';

const optionsSchema = z
  .object({
    /** Compute again even where an embedding of the backbone exists. */
    force: z.boolean().default(false),
  })
  .strict();

export type ComputeEmbeddingsOptions = z.output<typeof optionsSchema>;

/**
 * `compute-embeddings` `{ force? }`: fills in missing embeddings of the backbone (e.g. after a
 * backbone change) for every processed image, in chunks over all workers, through the
 * inference threads' batch lane.
 */
@Injectable()
@BatchJob('compute-embeddings')
export class ComputeEmbeddingsJob implements BatchJobHandler<ComputeEmbeddingsOptions, unknown> {
  constructor(
    private readonly chunks: ImageChunks,
    private readonly scan: ImageScanRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly runtime: ModelRuntime,
    private readonly realtimeFirst: RealtimeFirst,
  ) {}

  parseOptions(body: unknown): ComputeEmbeddingsOptions {
    return parseBatchOptions(optionsSchema, body);
  }

  /** One run at a time, forced or not: a second would compute the same embeddings. */
  subject(): string {
    return 'all';
  }

  run(ctx: BatchRunContext<ComputeEmbeddingsOptions>): Promise<BatchFanOut> {
    return this.chunks.plan(ctx);
  }

  runChunk(ctx: BatchChunkContext<ComputeEmbeddingsOptions>): Promise<void> {
    return this.chunks.walk(ctx, async (images) => {
      const present = ctx.options.force
        ? new Set<string>()
        : await this.scan.withEmbedding(
            images.map((image) => image.id),
            BACKBONE_NAME,
          );
      const counters: BatchCounters = { embedded: 0, present: 0, missing: 0 };
      await this.realtimeFirst.forEach(images, async (image) => {
        if (present.has(image.id)) return void counters.present++;
        const bytes = await this.chunks.readForModel(image);
        if (!bytes) return void counters.missing++;
        const { embedding } = await this.runtime.embedAndModerate(bytes, { lane: 'batch' });
        await this.embeddings.upsert(image.id, BACKBONE_NAME, embedding);
        counters.embedded++;
      });
      return counters;
    });
  }
}
