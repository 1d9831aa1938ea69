import { Module } from '@nestjs/common';
import { AppConfig } from '../../config';
import { Broadcaster } from './broadcaster';
import { InProcessBroadcaster } from './in-process-broadcaster';
import { RedisBroadcaster } from './redis-broadcaster';

@Module({
  providers: [
    {
      provide: Broadcaster,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Broadcaster =>
        config.redis ? new RedisBroadcaster(config.redis) : new InProcessBroadcaster(),
    },
  ],
  exports: [Broadcaster],
})
export class BroadcastModule {}
