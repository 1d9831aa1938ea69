import { Injectable } from '@nestjs/common';
import { ModelRegistry, ModelSummary } from '../../model';
import { BatchRunRepository, LabelRepository, TrainingRunRepository } from '../../persistence';

/** Training runs of a model looked through for its last successful one. */
const RECENT_TRAINING_RUNS = 20;
/** Unfinished `train-classifier` runs looked through per status. */
const UNFINISHED_RUNS = 200;

export interface TrainingPlan {
  /** Trainable classifiers to train now. */
  due: string[];
  /** The others, each with why not. */
  skipped: { model: string; reason: string }[];
}

/**
 * Which trainable classifiers a `train-classifier` run without a model (the schedule,
 * BATCH_CRON_TRAIN) trains: each with labelled images of at least two of its labels, one of
 * them labelled after its last successful training started (or never trained), and no
 * `train-classifier` run of its own queued or running. So a nightly schedule retrains what
 * users labelled since, and does nothing when nobody did.
 */
@Injectable()
export class TrainingPlanner {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly labels: LabelRepository,
    private readonly trainingRuns: TrainingRunRepository,
    private readonly batchRuns: BatchRunRepository,
  ) {}

  async plan(): Promise<TrainingPlan> {
    const models = (await this.registry.listModels()).filter((m) => m.kind === 'classifier');
    const training = await this.modelsInTraining();
    const plan: TrainingPlan = { due: [], skipped: [] };
    for (const model of models) {
      const reason = training.has(model.name)
        ? 'a train-classifier run of it is queued or running'
        : await this.whyNotDue(model);
      if (reason === null) plan.due.push(model.name);
      else plan.skipped.push({ model: model.name, reason });
    }
    return plan;
  }

  private async whyNotDue(model: ModelSummary): Promise<string | null> {
    const { examplesPerLabel, lastLabeledAt } = await this.labels.summarize(model.trainingLabels);
    if (Object.keys(examplesPerLabel).length < 2) {
      return `needs labelled images of at least two labels; found ${JSON.stringify(examplesPerLabel)}`;
    }
    const runs = await this.trainingRuns.listForModel(model.name, RECENT_TRAINING_RUNS);
    const last = runs.find((run) => run.status === 'succeeded');
    if (last && lastLabeledAt && lastLabeledAt <= last.createdAt) {
      return `no image labelled since its last training (${last.id}) started`;
    }
    return null;
  }

  private async modelsInTraining(): Promise<Set<string>> {
    const models = new Set<string>();
    for (const status of ['queued', 'running'] as const) {
      const page = await this.batchRuns.list({
        job: 'train-classifier',
        status,
        limit: UNFINISHED_RUNS,
      });
      for (const run of page.items) {
        const model = (run.options as { model?: unknown } | null)?.model;
        if (typeof model === 'string') models.add(model);
      }
    }
    return models;
  }
}
