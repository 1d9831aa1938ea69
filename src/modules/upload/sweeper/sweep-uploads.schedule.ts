import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { JobQueue } from '../../queue/job-queue';

export const SWEEP_UPLOADS_EVERY_MS = 60_000;
/** Wait before trying again to register the schedule while the queue is unreachable. */
export const SCHEDULE_RETRY_MS = 5_000;

/**
 * Scheduler role: one `sweep-uploads` job a minute, whatever the number of workers. The
 * queue may be down at boot (readiness reports it); registration is retried until it takes.
 */
@Injectable()
export class SweepUploadsSchedule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SweepUploadsSchedule.name);
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly jobs: JobQueue) {}

  onApplicationBootstrap(): void {
    void this.register();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  private async register(): Promise<void> {
    try {
      await this.jobs.schedule(
        'sweep-uploads',
        'sweep-uploads',
        { everyMs: SWEEP_UPLOADS_EVERY_MS },
        {},
      );
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn(`Upload sweep not scheduled yet: ${(error as Error).message}`);
      this.retry = setTimeout(() => void this.register(), SCHEDULE_RETRY_MS);
    }
  }
}
