import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waiting on purpose (e.g. the login brake), as an injectable port: a test replaces `sleep`
 * and checks what was asked for instead of waiting real seconds.
 */
export class Clock {
  sleep(ms: number): Promise<void> {
    return delay(ms);
  }
}
