import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicPass } from '../../common/periodic-pass';
import { AppConfig } from '../../config';
import { BatchRunRecord, BatchRunRepository } from '../persistence';
import { JobQueue, JobStatus } from '../queue/job-queue';
import { batchJobId } from './batch-job-ids';
import { BatchSteps } from './batch-steps';

/** Unfinished runs looked at per pass; the next pass takes the rest. */
export const RECONCILE_RUNS_PER_PASS = 100;

/** Where a run's next step is still on its way. */
const ALIVE: ReadonlySet<JobStatus> = new Set(['waiting', 'delayed', 'active', 'waiting-children']);

export interface BatchReconcileResult {
  /** Unfinished runs this pass looked at. */
  checked: number;
  /** Runs whose next step was queued again. */
  requeued: number;
  /** Runs left for the next pass: a chunk of their broken flow is still running. */
  busy: number;
}

/**
 * Worker role, at start and every RECONCILE_INTERVAL_S: gives unfinished batch runs whose
 * queue jobs are gone their next step again. A run waits on one job: its `run` step until it
 * has planned chunks, then the `finish` parent of its chunk flow. When that job is missing (a
 * Redis that restarted empty, the in-process queue gone with its process) or ended while the
 * run did not (failed after a chunk's worker died more often than the stalled-job limit,
 * which runs no code of ours), the remains are removed and the step is added again under the
 * same ids: the run resumes from its checkpoints (completed chunks find nothing to do), so
 * nothing is counted twice. Runs are claimed in the database, so each is looked at by one
 * worker at a time, at most once per RECONCILE_STALE_S, and only once that old. A step that
 * keeps killing its worker ends with BATCH_MAX_STARTS (see BatchRunner).
 */
@Injectable()
export class BatchReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BatchReconciler.name);
  private readonly passes = new PeriodicPass(this.logger, 'Batch reconcile pass', () =>
    this.reconcile(),
  );

  constructor(
    private readonly runs: BatchRunRepository,
    private readonly jobs: JobQueue,
    private readonly steps: BatchSteps,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.passes.start(this.config.reconcile.intervalS * 1000);
  }

  onModuleDestroy(): Promise<void> {
    return this.passes.stop();
  }

  async reconcile(now = Date.now()): Promise<BatchReconcileResult> {
    const before = new Date(now - this.config.reconcile.staleS * 1000);
    const runs = await this.runs.claimUnfinished(before, RECONCILE_RUNS_PER_PASS);
    const result: BatchReconcileResult = { checked: runs.length, requeued: 0, busy: 0 };
    for (const run of runs) {
      const outcome = await this.reconcileRun(run);
      if (outcome !== 'alive') result[outcome] += 1;
    }
    if (result.requeued > 0) this.logger.log(`Queued again ${result.requeued} batch run(s)`);
    return result;
  }

  private async reconcileRun(run: BatchRunRecord): Promise<'alive' | 'requeued' | 'busy'> {
    const chunks = await this.runs.chunkCount(run.id);
    const next = batchJobId(run.id, chunks > 0 ? 'finish' : 'run');
    const status = await this.jobs.status('batch', next);
    if (status !== null && ALIVE.has(status)) return 'alive';
    // A job that ended keeps its id while the queue holds it: removed, the id is free again.
    if (status !== null && !(await this.jobs.remove('batch', next))) return 'busy';
    this.logger.warn(
      `Batch run ${run.id} (${run.job}, ${run.status}): its ${chunks > 0 ? 'chunk flow' : 'run step'} ` +
        `was ${status ?? 'missing'} in the queue; queued again`,
    );
    if (chunks > 0) await this.steps.queueChunks(run.id, chunks);
    else await this.steps.queueRun(run.id);
    return 'requeued';
  }
}
