import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config';
import { JobQueue } from '../queue/job-queue';

/** Wait before trying again to register the schedules while the queue is unreachable. */
const SCHEDULE_RETRY_MS = 5_000;

/** Job schedulers of batch jobs are named `batch.<job>`. */
const SCHEDULER_PREFIX = 'batch.';

/**
 * Scheduler role: upserts one job scheduler per batch job with a cron setting
 * (BATCH_CRON_*), read in UTC, and removes the `batch.<job>` schedulers it no longer declares
 * (a schedule set `off` since an earlier boot stays in Redis otherwise). Each firing adds a
 * `start` step; the worker that takes it records the run, keyed by the queue job's id so a
 * retried firing starts one run. A job no handler registers (e.g. this build has no
 * `daily-report`) is not refused here: its run is recorded `failed` with an error naming the
 * missing handler, visible in the runs list.
 */
@Injectable()
export class BatchSchedules implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BatchSchedules.name);
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.register();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  private async register(): Promise<void> {
    try {
      const declared = new Set<string>();
      for (const [job, cron] of Object.entries(this.config.batch.schedules)) {
        const id = `${SCHEDULER_PREFIX}${job}`;
        await this.jobs.schedule('batch', id, { cron }, { step: 'start', job });
        declared.add(id);
        this.logger.log(`Batch job ${job} scheduled at "${cron}" (UTC)`);
      }
      for (const id of await this.jobs.schedulerIds('batch')) {
        if (!id.startsWith(SCHEDULER_PREFIX) || declared.has(id)) continue;
        await this.jobs.unschedule('batch', id);
        this.logger.log(`Batch job ${id.slice(SCHEDULER_PREFIX.length)} no longer scheduled`);
      }
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn(`Batch schedules not registered yet: ${(error as Error).message}`);
      this.retry = setTimeout(() => void this.register(), SCHEDULE_RETRY_MS);
    }
  }
}
