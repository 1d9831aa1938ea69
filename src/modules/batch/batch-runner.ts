import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AppConfig } from '../../config';
import { BatchCheckpoint, BatchRunRecord, BatchRunRepository, JsonValue } from '../persistence';
import { Job } from '../queue/job-queue';
import { BatchStep } from '../queue/queues';
import { BatchChunkContext, BatchFanOut, BatchRunContext, ChunkTakenOverError } from './batch-job';
import { AnyBatchJobHandler, BatchJobRegistry } from './batch-job-registry';
import { BatchLauncher } from './batch-launcher';
import { BatchSteps } from './batch-steps';
import { publicFailure } from './public-failure';

/** Who takes chunks in this process, as shown on a run (`host:pid`). */
export const WORKER_NAME = `${hostname()}:${process.pid}`;

/**
 * Runs the steps of batch runs (worker role). The database holds each run's truth (status,
 * chunk plan, cursors, counts); queue jobs only say what to do next, so any step may run
 * again after a crash and finds where the last one stopped. A run's own step started more
 * than BATCH_MAX_STARTS times, or a chunk started that often without committing a checkpoint,
 * fails the run: whatever it does kills or loses its worker each time, and running it again
 * would only do so again.
 */
@Injectable()
export class BatchRunner {
  private readonly logger = new Logger(BatchRunner.name);

  constructor(
    private readonly registry: BatchJobRegistry,
    private readonly runs: BatchRunRepository,
    private readonly launcher: BatchLauncher,
    private readonly steps: BatchSteps,
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
      if (job.attempt >= this.config.queue.attempts) {
        const where = step.step === 'chunk' ? `chunk ${step.chunk}: ` : '';
        await this.runs.fail(run.id, `${where}${publicFailure(error)}`.slice(0, 2000));
        this.logger.error(
          `Batch run ${run.id} (${run.job}) failed: ${where}${(error as Error).message}`,
          (error as Error).stack,
        );
      }
      throw error;
    }
  }

  private async run(queued: BatchRunRecord, handler: AnyBatchJobHandler): Promise<void> {
    const run = await this.runs.markRunning(queued.id);
    if (!run) return;
    if (run.starts > this.config.batch.maxStarts) {
      return this.giveUp(run, `its run step was started ${run.starts} times`);
    }
    // A planned run whose planner died after storing the plan: queue the plan again.
    const planned = await this.runs.chunkCount(run.id);
    if (planned > 0) return this.steps.queueChunks(run.id, planned);
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
      return this.steps.queueChunks(run.id, count);
    }
    await this.runs.complete(run.id, toJson(outcome));
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
    if (chunk.startsSinceCheckpoint > this.config.batch.maxStarts) {
      const starts = chunk.startsSinceCheckpoint;
      return this.giveUp(
        run,
        `chunk ${index} was started ${starts} times since its last checkpoint`,
      );
    }
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
    const chunks = await this.runs.chunkSummary(run.id);
    if (chunks.completed < chunks.total) {
      // A parent released early (e.g. a failed one retried by hand): completing now would
      // lose the chunks left. The reconciler finds the run unfinished and queues them again.
      this.logger.warn(
        `Batch run ${run.id}: finish step with ${chunks.total - chunks.completed} chunk(s) ` +
          'not completed; left to the reconciler',
      );
      return;
    }
    await this.complete(run, handler, run.counters);
  }

  /** Fails a run whose step was started too often to try it again. */
  private async giveUp(run: BatchRunRecord, tooOften: string): Promise<void> {
    const error =
      `Given up: ${tooOften} (BATCH_MAX_STARTS is ${this.config.batch.maxStarts}): its worker ` +
      'died or lost it every time (e.g. killed for memory), or it kept failing';
    if (await this.runs.fail(run.id, error)) {
      this.logger.error(`Batch run ${run.id} (${run.job}) failed: ${error}`);
    }
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
