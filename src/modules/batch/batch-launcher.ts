import { Injectable, Logger } from '@nestjs/common';
import { BatchRunRecord, BatchRunRepository, JsonValue } from '../persistence';
import { BatchJobRegistry, unknownBatchJob } from './batch-job-registry';
import { BatchOptionsError } from './batch-job';
import { BatchSteps } from './batch-steps';

export interface StartOptions {
  /** `user:<id>`, `api_key:<id>`, `schedule` or `system` (the default). */
  requestedBy?: string;
  /**
   * Makes the start idempotent: a second start with the same key returns the first run. A
   * run with a key is also recorded, failed, when its job has no handler here (a schedule for
   * a job this version does not have) or refuses the options, instead of throwing.
   */
  triggerKey?: string;
}

/**
 * Starts batch runs: checks the options with the job's handler, records the run `queued` and
 * queues its first step on the `batch` queue. Used by `POST /v1/admin/batch/:job`, the
 * schedules, and other modules (e.g. a backfill after a promotion).
 */
@Injectable()
export class BatchLauncher {
  private readonly logger = new Logger(BatchLauncher.name);

  constructor(
    private readonly registry: BatchJobRegistry,
    private readonly runs: BatchRunRepository,
    private readonly steps: BatchSteps,
  ) {}

  /**
   * Throws 404 `batch_job_not_found` for an unknown job (without a trigger key), 400
   * `invalid_batch_options` for options its handler refuses, 503 when the queue is down.
   */
  async start(job: string, options: unknown, start: StartOptions = {}): Promise<BatchRunRecord> {
    const record = (parsed: unknown, error?: string) =>
      this.runs.create({
        job,
        options: (parsed ?? {}) as JsonValue,
        requestedBy: start.requestedBy ?? 'system',
        triggerKey: start.triggerKey,
        error,
      });
    const handler = this.registry.find(job);
    if (!handler) {
      if (start.triggerKey === undefined) throw unknownBatchJob(job);
      this.logger.warn(`Batch job "${job}" has no handler here; its run is recorded as failed`);
      return record(options, `No handler is registered for batch job "${job}"`);
    }
    let parsed: unknown;
    try {
      parsed = handler.parseOptions(options ?? {});
    } catch (error) {
      if (start.triggerKey === undefined || !(error instanceof BatchOptionsError)) throw error;
      // e.g. a schedule for a job that needs options: the failure shows in the runs list.
      return record(options, `Invalid options: ${error.message}`);
    }
    const run = await record(parsed);
    if (run.status !== 'queued') return run;
    try {
      await this.steps.queueRun(run.id);
    } catch (error) {
      // Nothing will run it: say so on the run rather than leave it queued forever.
      await this.runs.fail(run.id, `Could not be queued: ${(error as Error).message}`);
      throw error;
    }
    return run;
  }
}
