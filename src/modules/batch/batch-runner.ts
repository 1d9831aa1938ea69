import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AppConfig } from '../../config';
import { BatchCheckpoint, BatchRunRecord, BatchRunRepository, JsonValue } from '../persistence';
import { Job, JobQueue } from '../queue/job-queue';
import { BatchStep } from '../queue/queues';
import { BatchChunkContext, BatchFanOut, BatchRunContext, ChunkTakenOverError } from './batch-job';
import { batchChunkJobId, batchJobId } from './batch-job-ids';
import { AnyBatchJobHandler, BatchJobRegistry } from './batch-job-registry';
import { BatchLauncher } from './batch-launcher';

/** Who takes chunks in this process, as shown on a run (`host:pid`). */
export const WORKER_NAME = `${hostname()}:${process.pid}`;

/**
 * Runs the steps of batch runs (worker role). The database holds each run's truth (status,
 * chunk plan, cursors, counts); queue jobs only say what to do next, so any step may run
 * again after a crash and finds where the last one stopped.
 */
@Injectable()
export class BatchRunner {
  private readonly logger = new Logger(BatchRunner.name);

  constructor(
    private readonly registry: BatchJobRegistry,
    private readonly runs: BatchRunRepository,
    private readonly launcher: BatchLauncher,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  async process(job: Job<'batch'>): Promise<void> {
    const step: BatchStep = job.payload;
    if (step.step === 'start') {
      await this.launcher.start(step.job, {}, { requestedBy: 'schedule', triggerKey: job.id });
      return;
    }
    const run = await this.runs.findById(step.runId);
    if (!run || run.status === 'completed' || run.status === 'failed') return;
    const handler = this.registry.find(run.job);
    if (!handler) {
      await this.runs.fail(run.id, `No handler is registered for batch job "${run.job}"`);
      return;
    }
    try {
      if (step.step === 'run') await this.run(run, handler);
      else if (step.step === 'chunk') await this.runChunk(run, handler, step.chunk);
      else await this.finish(run, handler);
    } catch (error) {
      if (error instanceof ChunkTakenOverError) return;
      const message = (error as Error).message;
      if (job.attempt >= this.config.queue.attempts) {
        const where = step.step === 'chunk' ? `chunk ${step.chunk}: ` : '';
        await this.runs.fail(run.id, `${where}${message}`.slice(0, 2000));
        this.logger.error(`Batch run ${run.id} (${run.job}) failed: ${message}`);
      }
      throw error;
    }
  }

  private async run(queued: BatchRunRecord, handler: AnyBatchJobHandler): Promise<void> {
    const run = await this.runs.markRunning(queued.id);
    if (!run) return;
    // A planned run whose planner died after storing the plan: queue the plan again.
    const planned = await this.runs.chunkCount(run.id);
    if (planned > 0) return this.queueChunks(run.id, planned);
    const ctx: BatchRunContext<unknown> = {
      runId: run.id,
      options: run.options,
      requestedBy: run.requestedBy,
      progress: (progress) => this.runs.setProgress(run.id, progress),
      fanOut: (chunks, total): BatchFanOut => ({ kind: 'fan-out', chunks, total }),
    };
    const outcome = await handler.run(ctx);
    if (isFanOut(outcome)) {
      if (outcome.chunks.length === 0) return this.complete(run, handler, run.counters);
      const count = await this.runs.planChunks(run.id, outcome.chunks, outcome.total);
      return this.queueChunks(run.id, count);
    }
    await this.runs.complete(run.id, toJson(outcome));
  }

  private async queueChunks(runId: string, count: number): Promise<void> {
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

  private async runChunk(
    run: BatchRunRecord,
    handler: AnyBatchJobHandler,
    index: number,
  ): Promise<void> {
    if (!handler.runChunk) throw new Error(`Batch job "${run.job}" fanned out but has no runChunk`);
    const lease = randomUUID();
    const chunk = await this.runs.leaseChunk(run.id, index, lease, WORKER_NAME);
    if (!chunk) return;
    let completed = false;
    const checkpoint = async (step: BatchCheckpoint) => {
      if (!(await this.runs.checkpoint(run.id, index, lease, step))) {
        throw new ChunkTakenOverError(`Chunk ${index} of run ${run.id} was taken over`);
      }
      completed ||= step.completed === true;
    };
    const ctx: BatchChunkContext<unknown> = {
      runId: run.id,
      options: run.options,
      index,
      spec: chunk.spec,
      cursor: chunk.cursor,
      checkpoint,
    };
    await handler.runChunk(ctx);
    if (!completed) await checkpoint({ done: 0, completed: true });
  }

  private async finish(run: BatchRunRecord, handler: AnyBatchJobHandler): Promise<void> {
    await this.complete(run, handler, run.counters);
  }

  private async complete(
    run: BatchRunRecord,
    handler: AnyBatchJobHandler,
    counters: BatchRunRecord['counters'],
  ): Promise<void> {
    const result = handler.finish
      ? await handler.finish({ runId: run.id, options: run.options, done: run.done, counters })
      : { done: run.done, counters };
    await this.runs.complete(run.id, toJson(result));
  }
}

function isFanOut(outcome: unknown): outcome is BatchFanOut {
  return (
    typeof outcome === 'object' && outcome !== null && (outcome as BatchFanOut).kind === 'fan-out'
  );
}

/** A result as stored: plain JSON (undefined becomes null). */
function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}
