import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicPass } from '../../../common/periodic-pass';
import { AppConfig } from '../../../config';
import {
  ImageRecord,
  ImageRepository,
  PredictionRepository,
  WEBHOOK_EVENT_TYPES,
  WebhookEventType,
  WebhookRepository,
} from '../../persistence';
import { JobQueue } from '../../queue/job-queue';
import { processImageJobId } from '../../queue/queues';
import { imageSnapshot } from '../events/image-snapshot';
import { WebhookAnnouncer } from '../webhooks/webhook-announcer';

/** Images handled per pass and status; the next pass takes the rest. */
export const RECONCILE_BATCH_SIZE = 200;

/**
 * How far back announcements are checked: well inside the time the queue keeps a finished
 * delivery job (a day), so a re-announcement of a message the queue still knows adds nothing.
 */
export const ANNOUNCE_LOOKBACK_MS = 60 * 60 * 1000;

export interface ReconcileResult {
  requeued: number;
  reannounced: number;
}

/**
 * Worker role, at start and every RECONCILE_INTERVAL_S: images sitting in `uploaded` or
 * `processing` for longer than RECONCILE_STALE_S go back to the queue. Adding is a no-op
 * while the image's job is still waiting or running (a crashed worker's job comes back by
 * the queue's stalled-job check); a job that ended in the failed set is retried. So a lost
 * message (queue down at upload, in-process queue gone with its process) or a killed worker
 * never loses an image. Likewise an image event of the last hour with a subscribed webhook and
 * no succeeded delivery is announced again: the queue may have lost it (a Redis that restarted
 * empty, or down when the event happened). The delivery job's id makes that a no-op while the
 * queue still holds the job (waiting, retrying, or given up in the failed set).
 */
@Injectable()
export class ImageReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ImageReconciler.name);
  private readonly passes = new PeriodicPass(this.logger, 'Reconcile pass', () => this.reconcile());

  constructor(
    private readonly images: ImageRepository,
    private readonly jobs: JobQueue,
    private readonly webhooks: WebhookRepository,
    private readonly predictions: PredictionRepository,
    private readonly announcer: WebhookAnnouncer,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.passes.start(this.config.reconcile.intervalS * 1000);
  }

  onModuleDestroy(): Promise<void> {
    return this.passes.stop();
  }

  async reconcile(now = Date.now()): Promise<ReconcileResult> {
    const staleSince = new Date(now - this.config.reconcile.staleS * 1000);
    const stuck = [
      ...(await this.images.findStale('uploaded', staleSince, RECONCILE_BATCH_SIZE)),
      ...(await this.images.findStale('processing', staleSince, RECONCILE_BATCH_SIZE)),
    ];
    await Promise.all(stuck.map((image) => this.requeue(image)));
    if (stuck.length > 0) this.logger.log(`Re-enqueued ${stuck.length} stuck image(s)`);
    let reannounced = 0;
    for (const event of WEBHOOK_EVENT_TYPES) {
      reannounced += await this.reannounce(event, new Date(now - ANNOUNCE_LOOKBACK_MS), staleSince);
    }
    if (reannounced > 0) this.logger.log(`Announced ${reannounced} image event(s) again`);
    return { requeued: stuck.length, reannounced };
  }

  private async reannounce(event: WebhookEventType, from: Date, to: Date): Promise<number> {
    const images = await this.webhooks.findUnannounced(event, from, to, RECONCILE_BATCH_SIZE);
    for (const image of images) {
      const predictions =
        event === 'image.failed' ? [] : await this.predictions.listForImage(image.id);
      await this.announcer.announce(image.ownerId, event, imageSnapshot(image, predictions));
    }
    return images.length;
  }

  private async requeue(image: ImageRecord): Promise<void> {
    const jobId = processImageJobId(image.id);
    await this.jobs.add('process-image', { imageId: image.id, ownerId: image.ownerId }, { jobId });
    await this.jobs.retryFailed('process-image', jobId);
  }
}
