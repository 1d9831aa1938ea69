import { setTimeout as delay } from 'node:timers/promises';

/**
 * The time and waiting on purpose (e.g. the login brake, link expiry), as an injectable port:
 * a test moves the time or replaces `sleep` instead of waiting real seconds.
 */
export class Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return delay(ms);
  }
}
