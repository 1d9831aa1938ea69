import { RedisThrottlerStorage } from './redis-throttler.storage';

describe('RedisThrottlerStorage while Redis is unreachable', () => {
  // Nothing listens on port 1: the client never becomes ready.
  const storage = new RedisThrottlerStorage({ url: 'redis://127.0.0.1:1', prefix: 'spec' });
  afterAll(() => storage.onApplicationShutdown());

  it('counts in memory instead of failing the request, and still blocks past the limit', async () => {
    const records = [];
    for (let i = 0; i < 3; i++) records.push(await storage.increment('uploads:key:a', 60_000, 2));
    expect(records.map((r) => [r.totalHits, r.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(records[2].timeToBlockExpire).toBeGreaterThan(0);
  });
});
