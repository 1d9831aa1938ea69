import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../../common/app-error';
import { BatchRunRecord, BatchRunRepository, JsonValue } from '../persistence';
import { BatchJobRegistry, unknownBatchJob } from './batch-job-registry';
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
   * Throws 404 `batch_job_not_found` for an unknown job (without a trigger key), the 4xx of
   * options its handler refuses (400 `invalid_batch_options`, 404 `model_not_found`, ...),
   * 503 when the queue is down (the run is recorded; see below). While a run of the job on the same subject is queued or
   * running, resolves with that run instead of starting another.
   */
  async start(job: string, options: unknown, start: StartOptions = {}): Promise<BatchRunRecord> {
    const record = (parsed: unknown, extra: { dedupKey?: string; error?: string }) =>
      this.runs.create({
        job,
        options: (parsed ?? {}) as JsonValue,
        requestedBy: start.requestedBy ?? 'system',
        triggerKey: start.triggerKey,
        ...extra,
      });
    const handler = this.registry.find(job);
    if (!handler) {
      if (start.triggerKey === undefined) throw unknownBatchJob(job);
      this.logger.warn(`Batch job "${job}" has no handler here; its run is recorded as failed`);
      return record(options, { error: `No handler is registered for batch job "${job}"` });
    }
    let parsed: unknown;
    let dedupKey: string;
    try {
      parsed = handler.parseOptions(options ?? {});
      await handler.check?.(parsed);
      dedupKey = await handler.subject(parsed);
    } catch (error) {
      if (start.triggerKey === undefined || !isRefusal(error)) throw error;
      // e.g. a schedule for a job that needs options: the failure shows in the runs list.
      return record(options, { error: `Invalid options: ${error.message}` });
    }
    const run = await record(parsed, { dedupKey });
    // When the queue is down this throws (503) and the run stays queued: the batch reconciler
    // queues it once the queue is back, and a retry of this start gets the same run. Failing
    // it instead would fail a run another start had queued already (the same subject's).
    if (run.status === 'queued') await this.steps.queueRun(run.id);
    return run;
  }
}

/** Options the handler refused (a client error), as opposed to a failure of ours. */
function isRefusal(error: unknown): error is AppError {
  return error instanceof AppError && error.getStatus() < 500;
}
