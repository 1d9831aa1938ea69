import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { AppConfig } from '../../../config';
import { Broadcaster } from '../../broadcast/broadcaster';
import { ReadinessRegistry } from '../../health/readiness.registry';
import { ModelRepository, ModelVersionRecord } from '../../persistence';
import { ObjectStorage } from '../../storage/object-storage';
import { modelNotFound, modelVersionNotFound } from '../model-errors';
import {
  ImageModelAnalysis,
  InferInput,
  InferResult,
  ModelPrediction,
  ModelServer,
  ServedModelVersion,
  VersionPrediction,
} from '../model-server';
import { BACKBONE_NAME } from '../registry/bundled-model';
import { storageModelLoader } from '../registry/storage-model-io';
import {
  EMBEDDING_SIZE,
  ImageAnalysis,
  ModelRuntime,
  PIXELS_PER_IMAGE,
  rankLabels,
  RuntimeHead,
} from '../runtime';
import { LoadedModel } from './loaded-model';
import { batchSizeOf, describeVersion, IMAGE_INPUT, isBackbone, tensorInput } from './tensor-specs';

/** Versions other than production kept loaded for `/v2/.../versions/:v/infer`. */
const CACHED_VERSIONS = 4;
/** Every replica compares its models with the database this often, in case it missed a message. */
const RESYNC_INTERVAL_MS = 30_000;

/**
 * ModelServer over the ModelRuntime: the backbone and every head run in its inference threads
 * (`loadHead`), none on this thread. Holds every model's production version; on `model-promoted` it loads the
 * new version first, then swaps it in, so calls in flight finish on the old one.
 */
@Injectable()
export class TfjsModelServer
  extends ModelServer
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(ModelServer.name);
  private readonly production = new Map<string, LoadedModel>();
  private readonly cache = new Map<string, LoadedModel>();
  private readonly pendingLoads = new Map<string, Promise<LoadedModel>>();
  private initialSync?: Promise<void>;
  private synced = false;
  private syncError?: Error;
  private unsubscribe?: () => void;
  private resyncTimer?: NodeJS.Timeout;

  constructor(
    @Inject(ModelRuntime) private readonly runtime: ModelRuntime,
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(Broadcaster) private readonly broadcaster: Broadcaster,
    @Inject(ReadinessRegistry) private readonly readiness: ReadinessRegistry,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {
    super();
  }

  onModuleInit(): void {
    this.readiness.register('models', async () => this.readinessDetails());
    this.unsubscribe = this.broadcaster.subscribe('model-promoted', ({ model }) => {
      this.refresh(model).catch((error: Error) =>
        this.logger.error(`Could not load the new production ${model}: ${error.message}`),
      );
    });
  }

  /** After every module's init: the registry has registered the bundled model by then. */
  onApplicationBootstrap(): void {
    if (this.config.model.preload) this.productionModels().catch(() => {});
    this.resyncTimer = setInterval(() => {
      if (this.initialSync) this.syncProduction().catch(() => {});
    }, RESYNC_INTERVAL_MS).unref();
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    clearInterval(this.resyncTimer);
    for (const model of [...this.production.values(), ...this.cache.values()]) model.retire();
    this.production.clear();
    this.cache.clear();
  }

  async predict(
    image: Buffer,
    topK = this.config.model.topK,
    only?: string,
  ): Promise<ModelPrediction[]> {
    const models =
      only === undefined ? undefined : [await this.leaseVersion(await this.findRecord(only))];
    const { predictions } = await this.analyzeWith(
      () => this.runtime.embedAndModerate(image),
      models,
    );
    return predictions.map(({ model, version, labels }) => ({
      model,
      version,
      labels: labels.slice(0, topK),
    }));
  }

  analyze(image: Buffer): Promise<ImageModelAnalysis> {
    return this.analyzeWith(() => this.runtime.embedAndModerate(image));
  }

  analyzePixels(pixels: Float32Array): Promise<ImageModelAnalysis> {
    return this.analyzeWith(() => this.runtime.analyzePixels(pixels));
  }

  /** One backbone pass, `backbone`, then each model's labels: `models` (leased), else all. */
  private async analyzeWith(
    backbone: () => Promise<ImageAnalysis>,
    models?: LoadedModel[],
  ): Promise<ImageModelAnalysis> {
    const started = performance.now();
    const leased = models ?? (await this.leaseProduction());
    try {
      const analysis = await backbone();
      // Every head's call is queued at once; the inference threads run them (one thread: in turn).
      const predictions = await Promise.all(
        leased.map(async ({ head, record }): Promise<VersionPrediction> => {
          const labels = head
            ? rankLabels(record.labels, await head.run(analysis.embedding, 1))
            : analysis.moderation;
          const { modelName, version, id } = record;
          const latencyMs = performance.now() - started;
          return { model: modelName, version, versionId: id, labels, latencyMs };
        }),
      );
      return { embedding: { model: BACKBONE_NAME, vector: analysis.embedding }, predictions };
    } finally {
      for (const model of leased) model.release();
    }
  }

  async describe(name: string, version?: number): Promise<ServedModelVersion> {
    return describeVersion(await this.findRecord(name, version), this.runtime.engine);
  }

  async isReady(name: string, version?: number): Promise<boolean> {
    const record = await this.findRecord(name, version);
    try {
      (await this.leaseVersion(record)).release();
      return true;
    } catch {
      return false;
    }
  }

  async infer(name: string, version: number | undefined, input: InferInput): Promise<InferResult> {
    const model = await this.leaseVersion(await this.findRecord(name, version));
    try {
      const { scores, count } = await this.run(model, input);
      return { version: model.record.version, scores, shape: [count, model.record.labels.length] };
    } finally {
      model.release();
    }
  }

  private async run(
    model: LoadedModel,
    input: InferInput,
  ): Promise<{ scores: Float32Array; count: number }> {
    const { head, record } = model;
    if (input.kind === 'images') {
      const { length } = input.images;
      batchSizeOf(IMAGE_INPUT, [length], length);
      const analyses = await Promise.all(input.images.map((i) => this.runtime.embedAndModerate(i)));
      return { scores: await this.score(model, analyses), count: analyses.length };
    }
    const count = batchSizeOf(tensorInput(record), input.shape, input.data.length);
    if (head) return { scores: await head.run(input.data, count), count };
    const analyses = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        this.runtime.analyzePixels(
          input.data.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE),
        ),
      ),
    );
    return { scores: await this.score(model, analyses), count };
  }

  /** The model's scores for analysed images, row-major in label order. */
  private async score(model: LoadedModel, analyses: ImageAnalysis[]): Promise<Float32Array> {
    const { head, record } = model;
    if (head) {
      const embeddings = new Float32Array(analyses.length * EMBEDDING_SIZE);
      analyses.forEach((a, i) => embeddings.set(a.embedding, i * EMBEDDING_SIZE));
      return head.run(embeddings, analyses.length);
    }
    return Float32Array.from(
      analyses.flatMap((a) =>
        record.labels.map((label) => a.moderation.find((m) => m.label === label)?.score ?? 0),
      ),
    );
  }

  private async findRecord(name: string, version?: number): Promise<ModelVersionRecord> {
    const record =
      version === undefined
        ? await this.models.findProduction(name)
        : await this.models.findVersion(name, version);
    if (record) return record;
    if (version !== undefined && (await this.models.findModel(name))) {
      throw modelVersionNotFound(name, version);
    }
    throw modelNotFound(name);
  }

  /** Every production model, leased; the backbone first. */
  private async leaseProduction(): Promise<LoadedModel[]> {
    const models = await this.productionModels();
    return models.map((model) => model.acquire());
  }

  private async productionModels(): Promise<LoadedModel[]> {
    this.initialSync ??= this.syncProduction().catch((error: Error) => {
      this.initialSync = undefined;
      throw error;
    });
    await this.initialSync;
    return [...this.production.values()].sort(
      (a, b) =>
        Number(!!a.head) - Number(!!b.head) || a.record.modelName.localeCompare(b.record.modelName),
    );
  }

  /** The production version if it is the one asked for and loaded, else a cached load. */
  private async leaseVersion(record: ModelVersionRecord): Promise<LoadedModel> {
    if (record.status === 'production') {
      await this.productionModels();
      const production = this.production.get(record.modelName);
      if (production?.record.id === record.id) return production.acquire();
    }
    let model = this.cache.get(record.id);
    if (!model) {
      model = await this.loadOnce(record);
      if (!this.cache.has(record.id)) this.remember(model);
    }
    // Most recently used last: eviction takes the first.
    this.cache.delete(record.id);
    this.cache.set(record.id, model);
    return model.acquire();
  }

  private remember(model: LoadedModel): void {
    this.cache.set(model.record.id, model);
    while (this.cache.size > CACHED_VERSIONS) {
      const [id, oldest] = this.cache.entries().next().value!;
      this.cache.delete(id);
      oldest.retire();
    }
  }

  private loadOnce(record: ModelVersionRecord): Promise<LoadedModel> {
    let pending = this.pendingLoads.get(record.id);
    if (!pending) {
      pending = this.load(record).finally(() => this.pendingLoads.delete(record.id));
      this.pendingLoads.set(record.id, pending);
    }
    return pending;
  }

  private async syncProduction(): Promise<void> {
    try {
      const records = await this.models.listProduction();
      await Promise.all(records.map((record) => this.install(record)));
      this.synced = true;
      this.syncError = undefined;
    } catch (error) {
      this.syncError = error as Error;
      this.logger.error(`Could not load the production models: ${this.syncError.message}`);
      throw error;
    }
  }

  /** A promotion: load the model's production version, unless nothing was loaded yet (lazy). */
  private async refresh(modelName: string): Promise<void> {
    if (!this.initialSync) return;
    const record = await this.models.findProduction(modelName);
    if (record) await this.install(record);
  }

  /** Loads `record`, then makes it its model's production version unless a newer one is. */
  private async install(record: ModelVersionRecord): Promise<void> {
    if (this.production.get(record.modelName)?.record.id === record.id) return;
    const loaded = await this.load(record);
    const current = this.production.get(record.modelName);
    const stale =
      current && (current.record.id === record.id || !promotedAfter(record, current.record));
    if (stale) return loaded.retire();
    this.production.set(record.modelName, loaded);
    current?.retire();
    this.logger.log(
      `Serving ${record.modelName}@${record.version} in production (loaded in ${loaded.loadMs} ms)`,
    );
  }

  private async load(record: ModelVersionRecord): Promise<LoadedModel> {
    const started = Date.now();
    let head: RuntimeHead | null = null;
    if (isBackbone(record)) {
      // The runtime loads the backbone; one pass makes sure it is up.
      await this.runtime.analyzePixels(new Float32Array(PIXELS_PER_IMAGE));
    } else {
      const artifacts = await storageModelLoader(this.storage, record.artifactKey).load();
      head = await this.runtime.loadHead(artifacts, record.labels.length);
    }
    return new LoadedModel(record, head, Date.now() - started);
  }

  private readinessDetails(): Record<string, unknown> {
    const production = [...this.production.values()].map(
      ({ record }) => `${record.modelName}@${record.version}`,
    );
    if (this.synced) return { ...this.runtime.engine, production };
    if (this.syncError) throw new Error(`The models failed to load: ${this.syncError.message}`);
    if (this.initialSync) throw new Error('The models are loading');
    return { production, loaded: false };
  }
}

function promotedAfter(a: ModelVersionRecord, b: ModelVersionRecord): boolean {
  return (a.promotedAt?.getTime() ?? 0) >= (b.promotedAt?.getTime() ?? 0);
}
