import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { AppError } from '../../../common/app-error';
import { DomainError } from '../../../common/domain-error';
import { AppConfig } from '../../../config';
import {
  BACKBONE_NAME,
  EMBEDDING_SIZE,
  HeadTrainer,
  ModelRegistry,
  ModelRuntime,
  ModelServer,
  ModelSummary,
} from '../../model';
import {
  EmbeddingRepository,
  LabelledExample,
  LabelRepository,
  Metrics,
  ModelVersionRecord,
  TrainingRunRepository,
} from '../../persistence';
import { ObjectNotFoundError, ObjectStorage } from '../../storage/object-storage';
import type { BatchProgress } from '../batch-job';
import { BatchLauncher } from '../batch-launcher';
import { RealtimeFirst } from '../realtime-first';
import { publicFailure } from '../public-failure';
import { balancedClassWeights } from './class-weights';
import { argmaxRows, classificationMetrics } from './classification-metrics';
import { decidePromotion, GateDecision } from './promotion-gate';
import { stratifiedSplit } from './stratified-split';

/** Share of each label's examples kept aside to validate on. */
export const VALIDATION_FRACTION = 0.2;
const BATCH_SIZE = 32;
/** Seeds the head's initial weights (the split has its own fixed seed). */
const WEIGHT_SEED = 42;
/** Embeddings computed between two progress reports. */
const EMBEDS_PER_PROGRESS = 16;

/** What a training run answers with (also the batch run's result). */
export interface TrainingSummary {
  model: string;
  version: number;
  status: ModelVersionRecord['status'];
  accuracy: number;
  productionAccuracy: number | null;
  promoted: boolean;
  reason: string;
  examples: number;
  embeddingsComputed: number;
  durationMs: number;
  /** The `backfill-predictions` run started after a promotion. */
  backfillRunId: string | null;
}

/**
 * `train-classifier`: every labelled image of a trainable model's labels, their missing
 * embeddings computed by the backbone (in the inference threads), a stratified split with a
 * fixed seed, a dense head fitted in a training thread, metrics on the validation split, a new
 * `staged` version with those metrics, and the promotion gate. A run repeated after a crash
 * (same run id) finds the version it made and only finishes the gate and the record.
 */
@Injectable()
export class ClassifierTraining {
  private readonly logger = new Logger(ClassifierTraining.name);

  constructor(
    private readonly registry: ModelRegistry,
    private readonly server: ModelServer,
    private readonly runtime: ModelRuntime,
    private readonly trainer: HeadTrainer,
    private readonly labels: LabelRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly runs: TrainingRunRepository,
    private readonly storage: ObjectStorage,
    private readonly launcher: BatchLauncher,
    private readonly realtimeFirst: RealtimeFirst,
    private readonly config: AppConfig,
  ) {}

  /** 404 `model_not_found`, or 409 `model_not_trainable` unless made by POST /v1/models. */
  async checkTrainable(modelName: string): Promise<ModelSummary> {
    const model = await this.registry.getModel(modelName);
    if (model.kind !== 'classifier') throw notTrainable(modelName);
    return model;
  }

  async train(
    runId: string,
    modelName: string,
    progress: (progress: BatchProgress) => Promise<void> = async () => {},
  ): Promise<TrainingSummary> {
    const model = await this.checkTrainable(modelName);
    const { epochs, learningRate } = this.config.training;
    const params = {
      epochs,
      learningRate,
      batchSize: BATCH_SIZE,
      validationFraction: VALIDATION_FRACTION,
    };
    await this.runs.start(runId, modelName, params);
    try {
      const earlier = (await this.registry.listVersions(modelName)).find(
        (version) => version.metrics?.trainingRunId === runId,
      );
      const { version, metrics } = earlier
        ? { version: earlier, metrics: earlier.metrics! }
        : await this.trainVersion(runId, model, progress);
      const summary = await this.conclude(version, metrics as TrainingMetrics);
      await this.runs.finish(runId, {
        status: 'succeeded',
        metrics: { ...metrics, backfillRunId: summary.backfillRunId },
        sampleCount: summary.examples,
        resultVersionId: version.id,
      });
      return summary;
    } catch (error) {
      await this.runs.finish(runId, { status: 'failed', error: publicFailure(error) });
      throw error;
    }
  }

  private async trainVersion(
    runId: string,
    model: ModelSummary,
    progress: (progress: BatchProgress) => Promise<void>,
  ): Promise<{ version: ModelVersionRecord; metrics: Metrics }> {
    const started = performance.now();
    const found = await this.labels.findExamples(model.trainingLabels, BACKBONE_NAME);
    const { epochs, learningRate } = this.config.training;
    const missing = found.filter((example) => !example.embedding).length;
    const total = missing + epochs;
    const computed = await this.embedMissing(found, (done) =>
      progress({ done, total, counters: { embeddingsComputed: done } }),
    );
    const examples = found.filter((example) => example.embedding);
    const labels = model.trainingLabels.length
      ? model.trainingLabels
      : [...new Set(examples.map((example) => example.label))].sort();
    const examplesPerLabel = Object.fromEntries(labels.map((label) => [label, 0]));
    for (const example of examples) examplesPerLabel[example.label]++;
    if (Object.values(examplesPerLabel).filter((count) => count > 0).length < 2) {
      throw new AppError(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'not_enough_labels',
        `Training ${model.name} needs labelled images of at least two labels; found ${JSON.stringify(examplesPerLabel)}`,
      );
    }
    const classes = Int32Array.from(examples, (example) => labels.indexOf(example.label));
    const split = stratifiedSplit(
      examples.map((example) => example.label),
      VALIDATION_FRACTION,
    );
    const embeddings = new Float32Array(examples.length * EMBEDDING_SIZE);
    examples.forEach((example, i) => embeddings.set(example.embedding!, i * EMBEDDING_SIZE));
    const trainClasses = split.train.map((i) => classes[i]);
    const trained = await this.trainer.train(
      {
        backend: this.config.model.backend,
        embeddings,
        classes,
        labels,
        train: split.train,
        validation: split.validation,
        epochs,
        learningRate,
        batchSize: BATCH_SIZE,
        classWeights: balancedClassWeights(trainClasses, labels.length),
        seed: WEIGHT_SEED,
      },
      (epoch, loss) =>
        void progress({
          done: computed + epoch + 1,
          total,
          counters: { embeddingsComputed: computed, epochs: epoch + 1, loss },
        }).catch(() => {}),
    );
    const actual = split.validation.map((i) => classes[i]);
    const scores = classificationMetrics(
      labels,
      actual,
      argmaxRows(trained.validationScores, labels.length),
    );
    const productionAccuracy = await this.productionAccuracy(
      model,
      split.validation.map((i) => examples[i]),
    );
    const gate = decidePromotion(
      { accuracy: scores.accuracy, productionAccuracy, examplesPerLabel },
      this.config.training,
    );
    const metrics: TrainingMetrics = {
      trainingRunId: runId,
      ...scores,
      productionAccuracy,
      examplesPerLabel,
      trainingExamples: split.train.length,
      validationExamples: split.validation.length,
      lossPerEpoch: trained.lossPerEpoch.map((loss) => Math.round(loss * 1e5) / 1e5),
      embeddingsComputed: computed,
      backend: trained.backend,
      durationMs: Math.round(performance.now() - started),
      gate,
    };
    const version = await this.registry.addVersion(model.name, {
      files: trained.files,
      labels,
      metrics,
    });
    return { version, metrics: version.metrics ?? metrics };
  }

  /** The gate's decision carried out: promotion, then a backfill with the new version. */
  private async conclude(
    version: ModelVersionRecord,
    metrics: TrainingMetrics,
  ): Promise<TrainingSummary> {
    let status = version.status;
    let backfillRunId: string | null = null;
    if (metrics.gate.promote) {
      status = (await this.registry.promote(version.modelName, version.version)).promoted.status;
      backfillRunId = await this.startBackfill(version);
    }
    return {
      model: version.modelName,
      version: version.version,
      status,
      accuracy: metrics.accuracy,
      productionAccuracy: metrics.productionAccuracy,
      promoted: metrics.gate.promote,
      reason: metrics.gate.reason,
      examples: metrics.trainingExamples + metrics.validationExamples,
      embeddingsComputed: metrics.embeddingsComputed,
      durationMs: metrics.durationMs,
      backfillRunId,
    };
  }

  /** Once per promoted version (its id keys the run), whoever asks again. */
  private async startBackfill(version: ModelVersionRecord): Promise<string | null> {
    try {
      const run = await this.launcher.start(
        'backfill-predictions',
        { model: version.modelName },
        { requestedBy: 'system', triggerKey: `promotion.${version.id}` },
      );
      return run.id;
    } catch (error) {
      this.logger.warn(
        `Promoted ${version.modelName}@${version.version}, but could not start ` +
          `backfill-predictions: ${(error as Error).message}`,
      );
      return null;
    }
  }

  /**
   * Production's accuracy on the same validation examples (its top label against theirs), in
   * the inference threads; null when the model has no production version yet.
   */
  private async productionAccuracy(
    model: ModelSummary,
    validation: LabelledExample[],
  ): Promise<number | null> {
    const production = model.production;
    if (!production || validation.length === 0) return null;
    const data = new Float32Array(validation.length * EMBEDDING_SIZE);
    validation.forEach((example, i) => data.set(example.embedding!, i * EMBEDDING_SIZE));
    const { scores } = await this.server.infer(model.name, production.version, {
      kind: 'tensor',
      data,
      shape: [validation.length, EMBEDDING_SIZE],
    });
    const predicted = argmaxRows(scores, production.labels.length);
    const right = validation.filter(
      (example, i) => production.labels[predicted[i]] === example.label,
    ).length;
    return Math.round((right / validation.length) * 10_000) / 10_000;
  }

  /**
   * Fills in the embeddings the examples lack (stored, so the next training finds them), from
   * the originals, giving way to real-time work in this worker (RealtimeFirst), with a
   * progress report every EMBEDS_PER_PROGRESS. An image whose bytes are gone or do not decode
   * is left out. Resolves with how many were computed.
   */
  private async embedMissing(
    examples: LabelledExample[],
    onProgress: (done: number) => Promise<void>,
  ): Promise<number> {
    const missing = examples.filter((example) => !example.embedding && example.originalAvailable);
    let computed = 0;
    for (let start = 0; start < missing.length; start += EMBEDS_PER_PROGRESS) {
      const slice = missing.slice(start, start + EMBEDS_PER_PROGRESS);
      await this.realtimeFirst.forEach(slice, async (example) => {
        const bytes = await this.readOriginal(example.storageKey);
        if (!bytes) return;
        try {
          // The batch lane: real-time images go first.
          const { embedding } = await this.runtime.embedAndModerate(bytes, { lane: 'batch' });
          await this.embeddings.upsert(example.imageId, BACKBONE_NAME, embedding);
          example.embedding = embedding;
          computed++;
        } catch (error) {
          // An image that does not decode: the others still train.
          if (!(error instanceof AppError || error instanceof DomainError)) throw error;
          this.logger.warn(`Image ${example.imageId} left out: ${error.message}`);
        }
      });
      await onProgress(computed);
    }
    return computed;
  }

  private async readOriginal(key: string): Promise<Buffer | null> {
    try {
      const { body } = await this.storage.get(key);
      return Buffer.concat(await body.toArray());
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return null;
      throw error;
    }
  }
}

/** What a version made by training records (beside the registry's own figures). */
interface TrainingMetrics extends Metrics {
  trainingRunId: string;
  accuracy: number;
  productionAccuracy: number | null;
  trainingExamples: number;
  validationExamples: number;
  embeddingsComputed: number;
  durationMs: number;
  gate: GateDecision;
}

function notTrainable(name: string): AppError {
  return new AppError(
    HttpStatus.CONFLICT,
    'model_not_trainable',
    `Model ${name} is not a trainable classifier (create one with POST /v1/models)`,
  );
}
