import { Inject, Injectable, Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AppConfig } from '../../../config';
import {
  EmbeddingRepository,
  ImageRecord,
  ImageRepository,
  PredictionRepository,
} from '../../persistence';
import { ModelServer } from '../../model/model-server';
import { Job } from '../../queue/job-queue';
import { ObjectNotFoundError, ObjectStorage } from '../../storage/object-storage';
import { DERIVATIVE_CONTENT_TYPE, derivativeKey } from '../image-keys';
import { cleanImage, CleanedImage, UndecodableImageError } from './image-cleaner';

/**
 * One `process-image` job: uploaded -> processing -> processed (or failed, for bytes that do
 * not decode). Idempotent: an image past processing is left alone, and a retry redoes the
 * same writes.
 */
@Injectable()
export class ImageProcessor {
  private readonly logger = new Logger(ImageProcessor.name);

  constructor(
    private readonly images: ImageRepository,
    private readonly predictions: PredictionRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly storage: ObjectStorage,
    private readonly config: AppConfig,
    @Inject(ModelServer) private readonly models: ModelServer,
  ) {}

  async process(job: Job<'process-image'>): Promise<void> {
    const image = await this.images.transitionStatus(
      job.payload.imageId,
      ['uploaded', 'processing'],
      'processing',
    );
    if (!image) return;
    try {
      await this.clean(image);
    } catch (error) {
      if (job.attempt >= this.config.queue.attempts) {
        await this.fail(image, 'processing_error', (error as Error).message);
      }
      throw error;
    }
  }

  private async clean(image: ImageRecord): Promise<void> {
    const original = await this.readOriginal(image);
    if (!original) return this.fail(image, 'original_missing', 'The original bytes are gone');
    let cleaned: CleanedImage;
    try {
      cleaned = await cleanImage(original);
    } catch (error) {
      if (!(error instanceof UndecodableImageError)) throw error;
      return this.fail(image, error.code, error.message);
    }
    const key = derivativeKey(image.ownerId, image.id);
    await this.storage.put(key, Readable.from([cleaned.thumbnail]), {
      contentType: DERIVATIVE_CONTENT_TYPE,
    });
    await this.predict(image, original);
    const done = await this.images.transitionStatus(image.id, 'processing', 'processed', {
      width: cleaned.width,
      height: cleaned.height,
      derivativeKey: key,
    });
    // Deleted while we worked: the derivative would belong to nobody.
    if (!done) await this.storage.delete(key);
  }

  /** Every production model, on one backbone pass; the embedding is kept for search. */
  private async predict(image: ImageRecord, original: Buffer): Promise<void> {
    const { embedding, predictions } = await this.models.analyze(original);
    await this.embeddings.upsert(image.id, embedding.model, embedding.vector);
    await this.predictions.saveForImage(
      image.id,
      predictions.map(({ versionId, labels, latencyMs }) => ({
        modelVersionId: versionId,
        scores: labels,
        latencyMs,
      })),
    );
  }

  private async readOriginal(image: ImageRecord): Promise<Buffer | null> {
    try {
      const { body } = await this.storage.get(image.storageKey);
      return Buffer.concat(await body.toArray());
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return null;
      throw error;
    }
  }

  private async fail(image: ImageRecord, code: string, message: string): Promise<void> {
    this.logger.warn(`Image ${image.id} failed processing (${code}): ${message}`);
    await this.images.transitionStatus(image.id, 'processing', 'failed', {
      failureCode: code,
      failureMessage: message.slice(0, 500),
    });
  }
}
