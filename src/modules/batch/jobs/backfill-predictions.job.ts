import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AppError } from '../../../common/app-error';
import {
  BACKBONE_NAME,
  BUNDLED_ARTIFACT_KEY,
  EMBEDDING_SIZE,
  ModelRegistry,
  ModelRuntime,
  ModelServer,
} from '../../model';
import {
  BatchCounters,
  EmbeddingRepository,
  ImageRecord,
  ImageScanRepository,
  ModelRepository,
  ModelVersionRecord,
  NewPrediction,
  PredictionRepository,
} from '../../persistence';
import {
  BatchChunkContext,
  BatchFanOut,
  BatchJob,
  BatchJobHandler,
  BatchRunContext,
  parseBatchOptions,
} from '../batch-job';
import { RealtimeFirst } from '../realtime-first';
import { ImageChunks } from './image-chunks';

const optionsSchema = z
  .object({
    /** Only this model's production version; default: every model's. */
    model: z.string().min(1).max(200).optional(),
  })
  .strict();

export type BackfillPredictionsOptions = z.output<typeof optionsSchema>;

/** A model version the run predicts with, fixed when the run plans its chunks. */
interface TargetVersion {
  id: string;
  name: string;
  version: number;
  labels: string[];
  /** The bundled model, whose scores come with the backbone pass; others are heads. */
  backbone: boolean;
}

/** One image's inputs: its embedding, and the backbone's own scores when they were computed. */
interface ImageInput {
  image: ImageRecord;
  embedding: Float32Array;
  /** The backbone's scores and time, when it ran for this image. */
  backbone?: { moderation: { label: string; score: number }[]; ms: number };
}

/**
 * `backfill-predictions` `{ model? }`: predicts every processed image again with the
 * production version(s) of today (e.g. after a promotion), skipping images that already have
 * that version's prediction. Heads run on the stored embeddings; the backbone only runs for
 * images without one (or when the bundled model itself is a target), in the inference
 * threads' batch lane, so real-time predictions go first.
 */
@Injectable()
@BatchJob('backfill-predictions')
export class BackfillPredictionsJob implements BatchJobHandler<
  BackfillPredictionsOptions,
  unknown
> {
  constructor(
    private readonly chunks: ImageChunks,
    private readonly scan: ImageScanRepository,
    private readonly modelsRepo: ModelRepository,
    private readonly predictions: PredictionRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly runtime: ModelRuntime,
    private readonly realtimeFirst: RealtimeFirst,
    @Inject(ModelServer) private readonly models: ModelServer,
    private readonly registry: ModelRegistry,
  ) {}

  parseOptions(body: unknown): BackfillPredictionsOptions {
    return parseBatchOptions(optionsSchema, body);
  }

  /**
   * 404 `model_not_found`; a model with nothing to predict with is 409 `no_production_version`
   * from `subject`, which looks its versions up.
   */
  async check({ model }: BackfillPredictionsOptions): Promise<void> {
    if (model !== undefined) await this.registry.getModel(model);
  }

  /**
   * The versions it will predict with, not only the model: a run started before a promotion
   * predicts with the version it found, so the promoted one needs a run of its own.
   */
  async subject({ model }: BackfillPredictionsOptions): Promise<string> {
    const versions = await this.targets(model);
    return versions
      .map((v) => `${v.name}@${v.version}`)
      .sort()
      .join(',');
  }

  async run(ctx: BatchRunContext<BackfillPredictionsOptions>): Promise<BatchFanOut> {
    const versions = await this.targets(ctx.options.model);
    return this.chunks.plan(ctx, { versions: versions.map((v) => ({ ...v })) });
  }

  runChunk(ctx: BatchChunkContext<BackfillPredictionsOptions>): Promise<void> {
    const { versions } = ctx.spec as unknown as { versions: TargetVersion[] };
    return this.chunks.walk(ctx, (images) => this.predictPage(images, versions));
  }

  private async targets(model: string | undefined): Promise<TargetVersion[]> {
    const records = model
      ? [await this.modelsRepo.findProduction(model)]
      : await this.modelsRepo.listProduction();
    const found = records.filter((record): record is ModelVersionRecord => record !== null);
    if (found.length === 0) throw noProductionVersion(model);
    return found.map((record) => ({
      id: record.id,
      name: record.modelName,
      version: record.version,
      labels: record.labels,
      backbone: record.artifactKey === BUNDLED_ARTIFACT_KEY,
    }));
  }

  private async predictPage(
    images: ImageRecord[],
    versions: TargetVersion[],
  ): Promise<BatchCounters> {
    const ids = images.map((image) => image.id);
    const current = await Promise.all(versions.map((v) => this.scan.withPrediction(ids, v.id)));
    const stale = (image: ImageRecord) => versions.filter((_, i) => !current[i].has(image.id));
    const counters: BatchCounters = { predicted: 0, current: 0, missing: 0 };
    const inputs: ImageInput[] = [];
    await this.realtimeFirst.forEach(images, async (image) => {
      const todo = stale(image);
      if (todo.length === 0) return void counters.current++;
      const input = await this.inputOf(
        image,
        todo.some((v) => v.backbone),
      );
      if (!input) return void counters.missing++;
      inputs.push(input);
    });
    if (inputs.length === 0) return counters;
    const byImage = new Map<string, NewPrediction[]>(inputs.map((i) => [i.image.id, []]));
    for (const version of versions) {
      const needing = inputs.filter((input) => stale(input.image).includes(version));
      for (const [imageId, prediction] of await this.predictWith(version, needing)) {
        byImage.get(imageId)!.push(prediction);
      }
    }
    for (const [imageId, predictions] of byImage) {
      await this.predictions.saveForImage(imageId, predictions);
      counters.predicted++;
    }
    return counters;
  }

  /** The stored embedding, or a backbone pass (stored too) when none or the backbone's scores are needed. */
  private async inputOf(image: ImageRecord, needsBackbone: boolean): Promise<ImageInput | null> {
    if (!needsBackbone) {
      const stored = await this.embeddings.get(image.id, BACKBONE_NAME);
      if (stored) return { image, embedding: stored.vector };
    }
    const bytes = await this.chunks.readForModel(image);
    if (!bytes) return null;
    const started = performance.now();
    const analysis = await this.runtime.embedAndModerate(bytes, { lane: 'batch' });
    const ms = performance.now() - started;
    await this.embeddings.upsert(image.id, BACKBONE_NAME, analysis.embedding);
    return {
      image,
      embedding: analysis.embedding,
      backbone: { moderation: analysis.moderation, ms },
    };
  }

  private async predictWith(
    version: TargetVersion,
    inputs: ImageInput[],
  ): Promise<[string, NewPrediction][]> {
    if (inputs.length === 0) return [];
    if (version.backbone) {
      return inputs.map(({ image, backbone }) => [
        image.id,
        { modelVersionId: version.id, scores: backbone!.moderation, latencyMs: backbone!.ms },
      ]);
    }
    const started = performance.now();
    const data = new Float32Array(inputs.length * EMBEDDING_SIZE);
    inputs.forEach((input, i) => data.set(input.embedding, i * EMBEDDING_SIZE));
    const { scores } = await this.models.infer(version.name, version.version, {
      kind: 'tensor',
      data,
      shape: [inputs.length, EMBEDDING_SIZE],
    });
    const latencyMs = (performance.now() - started) / inputs.length;
    const width = version.labels.length;
    return inputs.map((input, row) => [
      input.image.id,
      {
        modelVersionId: version.id,
        scores: version.labels.map((label, i) => ({ label, score: scores[row * width + i] })),
        latencyMs,
      },
    ]);
  }
}

function noProductionVersion(model: string | undefined): AppError {
  return new AppError(
    HttpStatus.CONFLICT,
    'no_production_version',
    model ? `Model ${model} has no production version` : 'No model is in production',
  );
}
