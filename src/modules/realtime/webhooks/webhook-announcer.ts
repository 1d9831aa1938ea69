import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../../config';
import { WebhookEventType, webhookMessageId, WebhookRepository } from '../../persistence';
import { JobQueue } from '../../queue/job-queue';
import { ImageSnapshot } from '../events/image-snapshot';

/**
 * Turns an image event into one `deliver-webhook` job per subscribed endpoint of the owner.
 * The message id is derived from the image and event, so announcing twice (a retried job)
 * enqueues nothing new.
 */
@Injectable()
export class WebhookAnnouncer {
  private readonly logger = new Logger(WebhookAnnouncer.name);

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  async announce(ownerId: string, type: WebhookEventType, image: ImageSnapshot): Promise<void> {
    try {
      const endpoints = await this.webhooks.listSubscribed(ownerId, type);
      if (endpoints.length === 0) return;
      const messageId = webhookMessageId(image.id, type);
      const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: { image } });
      await this.jobs.addBulk(
        'deliver-webhook',
        endpoints.map((endpoint) => ({
          payload: { webhookId: endpoint.id, messageId, body },
          options: {
            jobId: `${endpoint.id}.${image.id}.${type}`,
            attempts: this.config.webhooks.attempts,
          },
        })),
      );
    } catch (error) {
      this.logger.error(`${type} of image ${image.id} not announced: ${(error as Error).message}`);
    }
  }
}
