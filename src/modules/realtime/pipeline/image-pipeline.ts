import { Inject, Injectable, Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import { isDependencyOutage } from '../../../common/http/dependency-outage';
import { DERIVATIVE_CONTENT_TYPE, derivativeKey } from '../../../common/images/derivative';
import { AppConfig } from '../../../config';
import { ImageModelAnalysis, ModelServer } from '../../model';
import {
  ImageProcessingRepository,
  ImageRecord,
  ImageRepository,
  ProcessingResult,
} from '../../persistence';
import { Job } from '../../queue/job-queue';
import { ObjectNotFoundError, ObjectStorage } from '../../storage/object-storage';
import { ImageEvents } from '../events/image-events';
import { imageSnapshot } from '../events/image-snapshot';
import { RealtimeMetrics } from '../realtime-metrics';
import { WebhookAnnouncer } from '../webhooks/webhook-announcer';
import { DecodedImage, decodeOnce } from './decoded-image';
import { CleanedImage, cleanImage, UndecodableImageError } from './image-cleaner';
import { ModerationPolicy } from './moderation-policy';

/** The derivative, and the model's input or the bytes it decodes itself. */
type Decoded = DecodedImage | (CleanedImage & { original: Buffer });

/**
 * One `process-image` job: claim -> decode once -> embed + every production model (through
 * the micro-batcher) -> store results and counters in one transaction -> announce. Idempotent:
 * an image past processing is left alone, and the final transaction writes only when it moves
 * the image from `processing`, so retries and duplicate jobs store and count everything once.
 */
@Injectable()
export class ImagePipeline {
  private readonly logger = new Logger(ImagePipeline.name);

  constructor(
    private readonly processing: ImageProcessingRepository,
    private readonly images: ImageRepository,
    private readonly storage: ObjectStorage,
    private readonly policy: ModerationPolicy,
    private readonly events: ImageEvents,
    private readonly webhooks: WebhookAnnouncer,
    private readonly metrics: RealtimeMetrics,
    private readonly config: AppConfig,
    @Inject(ModelServer) private readonly models: ModelServer,
  ) {}

  async process(job: Job<'process-image'>): Promise<void> {
    const image = await this.processing.claim(job.payload.imageId);
    if (!image) {
      this.metrics.jobs.inc({ outcome: 'skipped' });
      return;
    }
    if (job.attempt === 1) this.metrics.observe('queue_wait', Date.now() - acceptedAt(image));
    void this.events.status(image);
    try {
      await this.run(image);
    } catch (error) {
      // An unreachable store or database fails no image: after the last attempt it stays
      // `processing`, and the reconciler retries its job until the dependency is back.
      const last = job.attempt >= this.config.queue.attempts && !isDependencyOutage(error);
      if (last) await this.fail(image, 'processing_error', (error as Error).message);
      else this.metrics.jobs.inc({ outcome: 'retried' });
      throw error;
    }
  }

  private async run(image: ImageRecord): Promise<void> {
    const original = await this.readOriginal(image);
    if (!original) return this.fail(image, 'original_missing', 'The original bytes are gone');
    let decoded: Decoded;
    try {
      decoded = await this.decode(original);
    } catch (error) {
      if (!(error instanceof UndecodableImageError)) throw error;
      return this.fail(image, error.code, error.message);
    }
    // The derivative is written while the model runs: a job's time is mostly waiting.
    const key = derivativeKey(image.ownerId, image.id);
    const [analysis] = await Promise.all([
      this.infer(decoded),
      this.storage.put(key, Readable.from([decoded.thumbnail]), {
        contentType: DERIVATIVE_CONTENT_TYPE,
      }),
    ]);
    const persistStarted = performance.now();
    const result = await this.processing.complete(image.id, {
      derivativeKey: key,
      width: decoded.width,
      height: decoded.height,
      quarantined: this.policy.quarantines(analysis.predictions),
      embedding: analysis.embedding,
      predictions: analysis.predictions.map(({ model, versionId, labels, latencyMs }) => ({
        modelName: model,
        modelVersionId: versionId,
        scores: labels,
        latencyMs,
      })),
    });
    this.metrics.observe('persist', performance.now() - persistStarted);
    if (!result) return this.abandon(image, key);
    this.metrics.observe('end_to_end', result.latencyMs);
    this.metrics.jobs.inc({ outcome: 'processed' });
    await this.announceProcessed(result);
  }

  /** Decoded once for both outputs (or, with PIPELINE_DECODE_ONCE off, the model decodes again). */
  private async decode(original: Buffer): Promise<Decoded> {
    const started = performance.now();
    const decoded: Decoded = this.config.realtime.decodeOnce
      ? await decodeOnce(original)
      : { ...(await cleanImage(original)), original };
    this.metrics.observe('decode', performance.now() - started);
    return decoded;
  }

  private async infer(decoded: Decoded): Promise<ImageModelAnalysis> {
    const started = performance.now();
    const analysis =
      'modelInput' in decoded
        ? await this.models.analyzePixels(decoded.modelInput)
        : await this.models.analyze(decoded.original);
    this.metrics.observe('inference', performance.now() - started);
    return analysis;
  }

  /** Another job finished it first, or it was deleted: only an orphaned derivative is removed. */
  private async abandon(image: ImageRecord, key: string): Promise<void> {
    this.metrics.jobs.inc({ outcome: 'skipped' });
    if (!(await this.images.findById(image.id))) await this.storage.delete(key);
  }

  private async announceProcessed({ image, predictions }: ProcessingResult): Promise<void> {
    await this.events.processed(image, predictions);
    const snapshot = imageSnapshot(image, predictions);
    await this.webhooks.announce(image.ownerId, 'image.processed', snapshot);
    if (image.quarantined) {
      await this.webhooks.announce(image.ownerId, 'image.quarantined', snapshot);
    }
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
    const failed = await this.processing.fail(image.id, code, message.slice(0, 500));
    if (!failed) return;
    this.metrics.jobs.inc({ outcome: 'failed' });
    await this.events.status(failed);
    await this.webhooks.announce(failed.ownerId, 'image.failed', imageSnapshot(failed, []));
  }
}

function acceptedAt(image: ImageRecord): number {
  return (image.uploadedAt ?? image.createdAt).getTime();
}
