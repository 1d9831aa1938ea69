import { Redis } from 'ioredis';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './services';

/** A Redis URL nothing listens on, to see how a component behaves while Redis is down. */
export const UNREACHABLE_REDIS_URL = 'redis://127.0.0.1:1';

/** The test Redis under a prefix of this run's own; `deleteRedisKeys` removes it after. */
export function testRedis(): { url: string; prefix: string } {
  return { url: TEST_REDIS_URL, prefix: uniqueRedisPrefix() };
}

/** Deletes every key under `prefix` (and only those), batch by batch. */
export async function deleteRedisKeys(redis: { url: string; prefix: string }): Promise<void> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, commandTimeout: 5000 });
  try {
    const keys = client.scanStream({ match: `${redis.prefix}:*`, count: 500 });
    for await (const batch of keys as AsyncIterable<string[]>) {
      if (batch.length > 0) await client.unlink(...batch);
    }
  } finally {
    await client.quit();
  }
}
