import { Injectable } from '@nestjs/common';
import { JobQueue } from '../queue/job-queue';

/**
 * Longest a batch image waits for the worker's real-time jobs before it starts anyway: a
 * steady real-time load slows batch work down but never stops it.
 */
export const MAX_YIELD_MS = 1_000;

/**
 * Batch images in flight at once per worker while real-time work is quiet: one decoding while
 * another is in the backbone. One at a time made training's embeddings 1.8x slower
 * (bench/batch.ts).
 */
export const IMAGES_AT_ONCE = 2;

/** How long no real-time job must have run here for real-time work to count as quiet. */
export const QUIET_MS = 2_000;

/**
 * Batch work yields to real-time processing in the same worker, image by image:
 * - each image starts once no `process-image` job runs in this process (or after MAX_YIELD_MS);
 * - IMAGES_AT_ONCE images at a time only while real-time work is quiet (QUIET_MS), else one;
 * - while it is not quiet, batch work rests as long as its last image took, so it takes at
 *   most about half of a core from real-time jobs.
 * bench/batch.ts, real-time p95 at 3 uploads/s during a backfill against idle: a page decoded
 * at once 1.46x; two images at a time throughout 1.78x; one while real-time work is not quiet
 * 1.39x; with the rest 1.19-1.24x.
 */
@Injectable()
export class RealtimeFirst {
  constructor(private readonly jobs: JobQueue) {}

  /** Runs `work` on every item, each after real-time work here has had its turn. */
  async forEach<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const lane = async (extra: boolean) => {
      while (next < items.length) {
        if (extra && !(await this.realtimeQuiet(MAX_YIELD_MS))) continue;
        await this.jobs.idleHere('process-image', MAX_YIELD_MS);
        if (next >= items.length) return;
        const started = performance.now();
        await work(items[next++]);
        if (!(await this.realtimeQuiet(0))) await rest(performance.now() - started);
      }
    };
    const lanes = Math.min(IMAGES_AT_ONCE, items.length);
    await Promise.all(Array.from({ length: lanes }, (_, index) => lane(index > 0)));
  }

  private realtimeQuiet(maxWaitMs: number): Promise<boolean> {
    return this.jobs.quietHere('process-image', QUIET_MS, maxWaitMs);
  }
}

const rest = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
