import { Module } from '@nestjs/common';
import { PersistenceModule } from '../persistence';
import { AdminJobsController } from './admin/admin-jobs.controller';
import { ImageEventStreams } from './events/image-event-streams';
import { ImageEventsController } from './events/image-events.controller';
import { RealtimeCoreModule } from './realtime-core.module';
import { StatsController } from './stats/stats.controller';
import { StatsService } from './stats/stats.service';
import { WebhookService } from './webhooks/webhook.service';
import { WebhooksController } from './webhooks/webhooks.controller';
import { QueueModule } from '../queue/queue.module';

/**
 * Web role: the realtime API. Per-image server-sent events, daily stats, webhook endpoints
 * and their delivery log, and the admin view of the job queues.
 */
@Module({
  imports: [RealtimeCoreModule, PersistenceModule, QueueModule],
  controllers: [ImageEventsController, StatsController, WebhooksController, AdminJobsController],
  providers: [ImageEventStreams, StatsService, WebhookService],
})
export class RealtimeModule {}
