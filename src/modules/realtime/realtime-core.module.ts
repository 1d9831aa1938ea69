import { Module } from '@nestjs/common';
import { BroadcastModule } from '../broadcast/broadcast.module';
import { ImageEvents } from './events/image-events';
import { ModerationPolicy } from './pipeline/moderation-policy';
import { RealtimeMetrics } from './realtime-metrics';

/** What both the web and the worker side of realtime use, once per process. */
@Module({
  imports: [BroadcastModule],
  providers: [RealtimeMetrics, ImageEvents, ModerationPolicy],
  exports: [RealtimeMetrics, ImageEvents, ModerationPolicy],
})
export class RealtimeCoreModule {}
