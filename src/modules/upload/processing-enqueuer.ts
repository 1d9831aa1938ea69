import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { ImageRecord } from '../persistence';
import { JobQueue } from '../queue/job-queue';
import { processImageJobId } from '../queue/queues';

/**
 * Hands an `uploaded` image to the processing pipeline. When the queue cannot take it, the
 * image stays `uploaded` (it is safely stored) and the realtime reconciler re-enqueues it.
 */
@Injectable()
export class ProcessingEnqueuer {
  private readonly logger = new Logger(ProcessingEnqueuer.name);

  private readonly accepted: Counter;

  constructor(
    private readonly jobs: JobQueue,
    metrics: MetricsService,
  ) {
    this.accepted = new Counter({
      name: 'vireo_uploads_total',
      help: 'Images accepted for processing (direct uploads and completed presigned ones; duplicates not counted).',
      registers: [metrics.registry],
    });
  }

  async enqueue(image: Pick<ImageRecord, 'id' | 'ownerId'>): Promise<void> {
    this.accepted.inc();
    try {
      await this.jobs.add(
        'process-image',
        { imageId: image.id, ownerId: image.ownerId },
        { jobId: processImageJobId(image.id) },
      );
    } catch (error) {
      this.logger.warn(
        `Image ${image.id} stays uploaded until the reconciler re-enqueues it: ${(error as Error).message}`,
      );
    }
  }
}
