import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { RedisConfig } from '../../../config';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RateLimitWindow } from './rate-limit-window';

/** One atomic round trip: count the hit, start the window on the first one, report its age. */
const INCREMENT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { hits, redis.call('PTTL', KEYS[1]) }
`;

/**
 * Fixed-window counters in Redis, so one budget holds across every replica. While Redis is
 * unreachable each replica counts in its own memory instead: a rate limit must not turn a
 * Redis outage into failed requests (the budget is then per replica until Redis is back).
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private readonly client: Redis;
  private readonly fallback = new MemoryThrottlerStorage();
  private usingFallback = false;

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
    // Not even sent while disconnected: ioredis would refuse it ("Stream isn't writeable").
    if (this.client.status !== 'ready') return this.countLocally(key, ttl, limit);
    const hit = this.client as Redis & {
      vireoHit(key: string, ttl: number): Promise<[number, number]>;
    };
    let counted: [number, number];
    try {
      counted = await hit.vireoHit(`${this.redis.prefix}:rate-limit:${key}`, ttl);
    } catch (error) {
      return this.countLocally(key, ttl, limit, error as Error);
    }
    if (this.usingFallback) {
      this.usingFallback = false;
      this.logger.log('Rate limits counted in Redis again');
    }
    const [hits, pttl] = counted;
    return RateLimitWindow.record(hits, pttl > 0 ? pttl : ttl, limit);
  }

  /** Counters need no flush; `quit()` would wait for a lost server. */
  onApplicationShutdown(): void {
    this.client.disconnect();
    this.fallback.onApplicationShutdown();
  }

  private countLocally(key: string, ttl: number, limit: number, error?: Error) {
    if (!this.usingFallback) {
      this.usingFallback = true;
      const reason = error?.message ?? `connection ${this.client.status}`;
      this.logger.warn(`Redis unreachable for rate limits (${reason}); counting per replica`);
    }
    return this.fallback.increment(key, ttl, limit);
  }
}
