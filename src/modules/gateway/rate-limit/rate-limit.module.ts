import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../../config';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RateLimitWindow } from './rate-limit-window';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** Rate-limit counters: in Redis when configured (one budget across replicas), else in memory. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // The limit itself comes per route class and per key (see RateLimitGuard).
        throttlers: [{ name: 'default', ttl: RateLimitWindow.MS, limit: 1 }],
        storage: config.redis
          ? new RedisThrottlerStorage(config.redis)
          : new MemoryThrottlerStorage(),
      }),
    }),
  ],
  exports: [ThrottlerModule],
})
export class RateLimitModule {}
