import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config';
import { JobQueue } from '../queue/job-queue';
import { batchChunkJobId, batchJobId } from './batch-job-ids';

/**
 * Adds the queue jobs of a run's steps under ids made from the run's id, so adding a step
 * again (a retried planner, the reconciler) adds nothing the queue still knows.
 */
@Injectable()
export class BatchSteps {
  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  /** The `run` step: does the run's work, or plans its chunks. */
  async queueRun(runId: string): Promise<void> {
    await this.jobs.add(
      'batch',
      { step: 'run', runId },
      { jobId: batchJobId(runId, 'run'), attempts: this.config.queue.attempts },
    );
  }

  /** The chunks of a planned run, under the `finish` step that waits for them all (a flow). */
  async queueChunks(runId: string, count: number): Promise<void> {
    const attempts = this.config.queue.attempts;
    await this.jobs.addFlow(
      {
        queue: 'batch',
        payload: { step: 'finish', runId },
        options: { jobId: batchJobId(runId, 'finish'), attempts },
      },
      Array.from({ length: count }, (_, chunk) => ({
        queue: 'batch' as const,
        payload: { step: 'chunk' as const, runId, chunk },
        options: { jobId: batchChunkJobId(runId, chunk), attempts },
      })),
    );
  }
}
