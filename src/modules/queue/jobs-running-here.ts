import { QueueName } from './queues';

/**
 * Jobs of each queue running in this process, so that lower-priority work in the same process
 * can wait for a queue's consumers to be idle (batch work yields to real-time processing).
 */
export class JobsRunningHere {
  private readonly running = new Map<QueueName, number>();
  private readonly idleWaiters = new Map<QueueName, Set<() => void>>();
  private readonly lastEndedAt = new Map<QueueName, number>();

  /** `handler`, counted as running while it runs. */
  counted<J>(queue: QueueName, handler: (job: J) => Promise<void>): (job: J) => Promise<void> {
    return async (job) => {
      this.running.set(queue, this.count(queue) + 1);
      try {
        await handler(job);
      } finally {
        this.running.set(queue, this.count(queue) - 1);
        this.lastEndedAt.set(queue, performance.now());
        if (this.count(queue) === 0) for (const wake of [...this.waiters(queue)]) wake();
      }
    };
  }

  count(queue: QueueName): number {
    return this.running.get(queue) ?? 0;
  }

  /** Resolves once no job of `queue` runs here, or after `maxWaitMs`, whichever comes first. */
  idle(queue: QueueName, maxWaitMs: number): Promise<void> {
    if (this.count(queue) === 0) return Promise.resolve();
    const waiters = this.waiters(queue);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, maxWaitMs);
      waiters.add(wake);
    });
  }

  /**
   * Whether `queue` turned quiet (no job running here, none ended in the last `quietMs`) within
   * `maxWaitMs`: resolves true as soon as it is, false when the wait runs out first.
   */
  async quiet(queue: QueueName, quietMs: number, maxWaitMs: number): Promise<boolean> {
    const deadline = performance.now() + maxWaitMs;
    for (;;) {
      const since = performance.now() - (this.lastEndedAt.get(queue) ?? -Infinity);
      if (this.count(queue) === 0 && since >= quietMs) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      if (this.count(queue) > 0) await this.idle(queue, left);
      else await new Promise((resolve) => setTimeout(resolve, Math.min(quietMs - since, left)));
    }
  }

  private waiters(queue: QueueName): Set<() => void> {
    let waiters = this.idleWaiters.get(queue);
    if (!waiters) this.idleWaiters.set(queue, (waiters = new Set()));
    return waiters;
  }
}
