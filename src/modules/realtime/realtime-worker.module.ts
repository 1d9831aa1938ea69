import { Module } from '@nestjs/common';
import { ModelModule } from '../model';
import { PersistenceModule } from '../persistence';
import { ImagePipeline } from './pipeline/image-pipeline';
import { ProcessImageConsumer } from './pipeline/process-image.consumer';
import { RealtimeCoreModule } from './realtime-core.module';
import { ImageReconciler } from './reconciler/image-reconciler';
import { DeliverWebhookConsumer } from './webhooks/deliver-webhook.consumer';
import { WebhookAnnouncer } from './webhooks/webhook-announcer';
import { WebhookSender } from './webhooks/webhook-sender';
import { QueueModule } from '../queue/queue.module';
import { StorageModule } from '../storage/storage.module';

/**
 * Worker role: the `process-image` pipeline (claim, decode once, embed + predict, store with
 * the day's counters, announce), webhook deliveries on their own queue, and the reconciler
 * of images stuck in `uploaded` or `processing`.
 */
@Module({
  imports: [RealtimeCoreModule, ModelModule, PersistenceModule, StorageModule, QueueModule],
  providers: [
    ImagePipeline,
    ProcessImageConsumer,
    WebhookAnnouncer,
    WebhookSender,
    DeliverWebhookConsumer,
    ImageReconciler,
  ],
})
export class RealtimeWorkerModule {}
