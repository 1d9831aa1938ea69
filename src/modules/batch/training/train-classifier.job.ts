import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { BatchJob, BatchJobHandler, BatchRunContext, parseBatchOptions } from '../batch-job';
import { BatchLauncher } from '../batch-launcher';
import { ClassifierTraining, TrainingSummary } from './classifier-training.service';
import { TrainingPlan, TrainingPlanner } from './training-planner';

const optionsSchema = z
  .object({
    /** The trainable model (POST /v1/models) to train a new version of; absent: see below. */
    model: z.string().min(1).max(63).optional(),
  })
  .strict();

/** The subject of a round over every due classifier (no model name has a `*`). */
const ALL_DUE = '*';

export type TrainClassifierOptions = z.output<typeof optionsSchema>;

/** The result of a run without a model: the runs it started, and the models it left alone. */
export interface TrainingRound {
  started: { model: string; runId: string }[];
  skipped: TrainingPlan['skipped'];
}

/**
 * `train-classifier` `{ model }`: see ClassifierTraining; the run's result is its summary.
 * Without a model (what BATCH_CRON_TRAIN starts): one `train-classifier` run per trainable
 * classifier the TrainingPlanner finds due, each keyed by this run and the model, so this run
 * repeated after a crash starts each of them once.
 */
@Injectable()
@BatchJob('train-classifier')
export class TrainClassifierJob implements BatchJobHandler<
  TrainClassifierOptions,
  TrainingSummary | TrainingRound
> {
  constructor(
    private readonly training: ClassifierTraining,
    private readonly planner: TrainingPlanner,
    private readonly launcher: BatchLauncher,
  ) {}

  parseOptions(body: unknown): TrainClassifierOptions {
    return parseBatchOptions(optionsSchema, body);
  }

  async check({ model }: TrainClassifierOptions): Promise<void> {
    if (model !== undefined) await this.training.checkTrainable(model);
  }

  subject({ model }: TrainClassifierOptions): string {
    return model ?? ALL_DUE;
  }

  run(ctx: BatchRunContext<TrainClassifierOptions>): Promise<TrainingSummary | TrainingRound> {
    const { model } = ctx.options;
    if (model === undefined) return this.trainDue(ctx);
    return this.training.train(ctx.runId, model, (progress) => ctx.progress(progress));
  }

  private async trainDue(ctx: BatchRunContext<TrainClassifierOptions>): Promise<TrainingRound> {
    const plan = await this.planner.plan();
    const started: TrainingRound['started'] = [];
    for (const model of plan.due) {
      const run = await this.launcher.start(
        'train-classifier',
        { model },
        { requestedBy: ctx.requestedBy ?? 'system', triggerKey: `${ctx.runId}.${model}` },
      );
      started.push({ model, runId: run.id });
    }
    return { started, skipped: plan.skipped };
  }
}
