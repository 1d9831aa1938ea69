import { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { RedisConfig } from '../../../config';
import { RateLimitWindow } from './rate-limit-window';

/** One atomic round trip: count the hit, start the window on the first one, report its age. */
const INCREMENT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { hits, redis.call('PTTL', KEYS[1]) }
`;

/** Fixed-window counters in Redis, so one budget holds across every replica. */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly client: Redis;

  constructor(private readonly redis: RedisConfig) {
    this.client = new Redis(redis.url, {
      connectionName: 'vireo-rate-limit',
      commandTimeout: 1000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    this.client.on('error', () => undefined);
    this.client.defineCommand('vireoHit', { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
  }

  async increment(key: string, ttl: number, limit: number) {
    const hit = this.client as Redis & {
      vireoHit(key: string, ttl: number): Promise<[number, number]>;
    };
    const [hits, pttl] = await hit.vireoHit(`${this.redis.prefix}:rate-limit:${key}`, ttl);
    return RateLimitWindow.record(hits, pttl > 0 ? pttl : ttl, limit);
  }

  /** Counters need no flush; `quit()` would wait for a lost server. */
  onApplicationShutdown(): void {
    this.client.disconnect();
  }
}
