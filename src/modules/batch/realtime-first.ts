import { Injectable } from '@nestjs/common';
import { JobQueue } from '../queue/job-queue';

/**
 * Longest a batch image waits for the worker's real-time jobs before it starts anyway: a
 * steady real-time load slows batch work down but never stops it.
 */
export const MAX_YIELD_MS = 1_000;

/**
 * Batch images in flight at once per worker: one decoding while another is in the backbone.
 * One at a time made training's embeddings 1.8x slower (bench/batch.ts).
 */
export const IMAGES_AT_ONCE = 2;

/**
 * Batch work yields to real-time processing in the same worker: image by image, IMAGES_AT_ONCE
 * at a time, each starting once no `process-image` job runs in this process (or after
 * MAX_YIELD_MS). Batch images decoded a page at once filled libuv's pool, where the real-time
 * decodes then queued (bench/batch.ts: real-time p95 1.46x idle during a backfill, 1.56x
 * during training).
 */
@Injectable()
export class RealtimeFirst {
  constructor(private readonly jobs: JobQueue) {}

  /** Runs `work` on every item, each after real-time work here has had its turn. */
  async forEach<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < items.length) {
        const item = items[next++];
        await this.jobs.idleHere('process-image', MAX_YIELD_MS);
        await work(item);
      }
    };
    await Promise.all(Array.from({ length: Math.min(IMAGES_AT_ONCE, items.length) }, lane));
  }
}
