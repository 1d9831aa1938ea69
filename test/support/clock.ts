import { Clock } from '../../src/common/clock';

/**
 * The time as a test wants it: the real time moved by hand (`advance`), so that expiry is seen
 * at once instead of after real seconds. The time still runs, as timestamps elsewhere expect.
 */
export class FakeClock extends Clock {
  private offsetMs = 0;

  override now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the time by `ms` (back when negative). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Back to the real time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
