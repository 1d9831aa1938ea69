import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

export const RateLimitWindow = {
  /** The window in milliseconds: limits are per minute. */
  MS: 60_000,

  /** A fixed-window count as the throttler reports it (times in whole seconds). */
  record(hits: number, msLeft: number, limit: number): ThrottlerStorageRecord {
    const secondsLeft = Math.max(1, Math.ceil(msLeft / 1000));
    const isBlocked = hits > limit;
    return {
      totalHits: hits,
      timeToExpire: secondsLeft,
      isBlocked,
      timeToBlockExpire: isBlocked ? secondsLeft : 0,
    };
  },
};
