import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../config';
import {
  BatchCounters,
  ImageIdRange,
  ImageRecord,
  ImageScanRepository,
  JsonValue,
} from '../../persistence';
import { ObjectNotFoundError, ObjectStorage } from '../../storage/object-storage';
import { BatchChunkContext, BatchFanOut, BatchRunContext } from '../batch-job';

/** Images read and committed at once within a chunk: the work a crash can make redo. */
export const IMAGES_PER_CHECKPOINT = 16;

/**
 * Chunked walks over every processed image, for jobs that work image by image: the run plans
 * id ranges of BATCH_CHUNK_SIZE images, each chunk reads its range page by page from its
 * cursor and checkpoints after each page.
 */
@Injectable()
export class ImageChunks {
  constructor(
    private readonly scan: ImageScanRepository,
    private readonly storage: ObjectStorage,
    private readonly config: AppConfig,
  ) {}

  /** Fans out to ranges of BATCH_CHUNK_SIZE images; `extra` goes into every chunk's spec. */
  async plan(
    ctx: BatchRunContext<unknown>,
    extra: Record<string, JsonValue> = {},
  ): Promise<BatchFanOut> {
    const { total, ranges } = await this.scan.planRanges(this.config.batch.chunkSize);
    return ctx.fanOut(
      ranges.map((range) => ({ ...extra, ...range })),
      total,
    );
  }

  /** Runs `work` on each page of the chunk after its cursor; `work` returns the page's counts. */
  async walk(
    ctx: BatchChunkContext<unknown>,
    work: (images: ImageRecord[]) => Promise<BatchCounters>,
  ): Promise<void> {
    const range = ctx.spec as unknown as ImageIdRange;
    let after = (ctx.cursor as string | null) ?? range.after;
    for (;;) {
      const images = await this.scan.page({ after, last: range.last }, IMAGES_PER_CHECKPOINT);
      if (images.length === 0) return;
      const counters = await work(images);
      after = images[images.length - 1].id;
      const completed = after === range.last;
      await ctx.checkpoint({ cursor: after, done: images.length, counters, completed });
      if (completed) return;
    }
  }

  /** The image's bytes to run a model on: the original, else its derivative; null when both are gone. */
  async readForModel(image: ImageRecord): Promise<Buffer | null> {
    for (const key of [image.storageKey, image.derivativeKey]) {
      if (!key || (key === image.storageKey && image.originalDeletedAt)) continue;
      try {
        const { body } = await this.storage.get(key);
        return Buffer.concat(await body.toArray());
      } catch (error) {
        if (!(error instanceof ObjectNotFoundError)) throw error;
      }
    }
    return null;
  }
}
