import { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { RateLimitWindow } from './rate-limit-window';

interface Window {
  hits: number;
  endsAt: number;
}

const SWEEP_MS = 60_000;

/** Fixed-window counters in this process (the embedded default: one process, one budget). */
export class MemoryThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper = setInterval(() => this.sweep(), SWEEP_MS).unref();

  constructor(private readonly now: () => number = Date.now) {}

  async increment(key: string, ttl: number, limit: number) {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + ttl };
      this.windows.set(key, window);
    }
    window.hits += 1;
    return RateLimitWindow.record(window.hits, window.endsAt - now, limit);
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}
