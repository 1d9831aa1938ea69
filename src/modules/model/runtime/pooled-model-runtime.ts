import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { join } from 'node:path';
import { AppConfig } from '../../../config';
import { ReadinessRegistry } from '../../health/readiness.registry';
import { MetricsService } from '../../metrics/metrics.service';
import { concatPixels, ImageOutput, splitBackboneOutput } from './backbone';
import type * as tf from '@tensorflow/tfjs';
import { BackgroundLane } from './background-lane';
import { Batcher } from './batcher';
import { MODERATION_LABELS, MODERATION_MODEL, PIXELS_PER_IMAGE } from './bundled-mobilenet';
import { preprocessImage } from './image-preprocessor';
import { InferencePool } from './inference-pool';
import { describeEngine, InferenceEngine } from './inference-engine';
import { ImageAnalysis, InferenceOptions, ModelRuntime, RuntimeHead } from './model-runtime';
import { bundledOnnxModel } from './onnx/bundled-onnx-model';
import { rankLabels } from './rank-labels';
import { RuntimeMetrics } from './runtime-metrics';

/**
 * ModelRuntime over an InferencePool: bytes are preprocessed here (sharp, off the event
 * loop), micro-batched, and run on the pool's threads, heads too. The pool starts at boot
 * when MODEL_PRELOAD is on (readiness fails until it is up), else on the first call. For the
 * onnx runtime, the bundled backbone is converted to ONNX first (or read from DATA_DIR).
 */
@Injectable()
export class PooledModelRuntime
  extends ModelRuntime
  implements OnModuleInit, OnApplicationShutdown
{
  private readonly logger = new Logger(ModelRuntime.name);
  private readonly batcher: Batcher<Float32Array, ImageOutput>;
  /** Batch jobs' images: only on threads the batcher's real-time work leaves free. */
  private readonly background: BackgroundLane<Float32Array, ImageOutput>;
  private readonly metrics: RuntimeMetrics;
  private loading?: Promise<InferencePool>;
  private pool?: InferencePool;
  private loadError?: Error;
  private batchesRunning = 0;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(ReadinessRegistry) private readonly readiness: ReadinessRegistry,
    @Inject(MetricsService) metrics: MetricsService,
  ) {
    super();
    const { batchMaxSize, batchMaxDelayMs } = config.model;
    this.batcher = new Batcher((inputs) => this.runBatch(inputs), {
      maxBatchSize: batchMaxSize,
      maxDelayMs: batchMaxDelayMs,
      // A thread with nothing to do takes an image at once; the delay applies while all work.
      idle: () => this.batchesRunning < (this.pool?.size ?? 0),
    });
    this.background = new BackgroundLane({
      run: async (pixels) => (await this.runBatch([pixels]))[0],
      busy: () => this.batcher.pending > 0 || this.batchesRunning >= (this.pool?.size ?? 1),
    });
    this.metrics = new RuntimeMetrics(metrics.registry, {
      engine: () => this.engine,
      threads: () => this.pool?.size ?? 0,
    });
  }

  get engine(): InferenceEngine | null {
    return this.pool?.engine ?? null;
  }

  onModuleInit(): void {
    this.readiness.register('model', async () => this.readinessDetails());
    // Not awaited: the application boots while the model loads; readiness waits for it.
    if (this.config.model.preload) this.load().catch(() => {});
  }

  async embedAndModerate(image: Buffer, options?: InferenceOptions): Promise<ImageAnalysis> {
    return this.analyzePixels(await preprocessImage(image), options);
  }

  async analyzePixels(pixels: Float32Array, options?: InferenceOptions): Promise<ImageAnalysis> {
    if (pixels.length !== PIXELS_PER_IMAGE) {
      throw new RangeError(`Expected ${PIXELS_PER_IMAGE} pixels, got ${pixels.length}`);
    }
    const lane = options?.lane === 'batch' ? this.background : this.batcher;
    const { scores, embedding } = await lane.submit(pixels);
    return { embedding, moderation: rankLabels(MODERATION_LABELS, scores) };
  }

  async loadHead(artifacts: tf.io.ModelArtifacts, labelCount: number): Promise<RuntimeHead> {
    const pool = await this.load();
    const key = await pool.loadHead({ artifacts, labelCount });
    return {
      // A copy goes to the thread: the caller keeps its embeddings.
      run: (embeddings, count) => pool.runHead(key, embeddings.slice(), count),
      dispose: () => pool.unloadHead(key),
    };
  }

  async checkHead(
    artifacts: tf.io.ModelArtifacts,
    labelCount: number,
  ): Promise<{ probeMs: number }> {
    return (await this.load()).checkHead({ artifacts, labelCount });
  }

  async onApplicationShutdown(): Promise<void> {
    this.batcher.close();
    this.background.close();
    const pool = await this.loading?.catch(() => undefined);
    await pool?.close();
  }

  private load(): Promise<InferencePool> {
    this.loading ??= this.startPool();
    return this.loading;
  }

  private async startPool(): Promise<InferencePool> {
    const { inferenceThreads, backend, runtime } = this.config.model;
    const started = Date.now();
    try {
      const onnxModel = runtime === 'tfjs' ? undefined : await this.onnxModel();
      this.pool = await InferencePool.start({
        threads: inferenceThreads,
        runtime,
        backend,
        onnxModel,
      });
      this.loadError = undefined;
      if (this.pool.fallback) this.logger.warn(`${this.pool.fallback}; running TF.js`);
      this.logger.log(
        `Model ${MODERATION_MODEL.name} v${MODERATION_MODEL.version} loaded on ` +
          `${describeEngine(this.pool.engine)} in ${inferenceThreads} thread(s) ` +
          `(${Date.now() - started} ms)`,
      );
      return this.pool;
    } catch (error) {
      this.loading = undefined;
      this.loadError = error as Error;
      this.logger.error(`The model failed to load: ${this.loadError.message}`);
      throw error;
    }
  }

  /** The converted backbone; under `auto`, a failed conversion means TF.js, not a failure. */
  private async onnxModel(): Promise<Uint8Array | undefined> {
    const dir = join(this.config.dataDir, 'models');
    try {
      const model = await bundledOnnxModel(dir, (message) => this.logger.warn(message));
      this.logger.log(
        `ONNX backbone ${model.converted ? 'converted to' : 'read from'} ${model.path}`,
      );
      return model.bytes;
    } catch (error) {
      if (this.config.model.runtime === 'onnx') throw error;
      this.logger.warn(`Could not convert the backbone to ONNX: ${(error as Error).message}`);
      return undefined;
    }
  }

  private async runBatch(inputs: Float32Array[]): Promise<ImageOutput[]> {
    this.batchesRunning++;
    try {
      const pool = await this.load();
      this.metrics.batchSize.observe(inputs.length);
      const stopTimer = this.metrics.batchSeconds.startTimer();
      try {
        return splitBackboneOutput(await pool.run(concatPixels(inputs), inputs.length));
      } finally {
        stopTimer();
      }
    } finally {
      this.batchesRunning--;
      this.background.pump();
    }
  }

  private readinessDetails(): Record<string, unknown> {
    const model = `${MODERATION_MODEL.name}@${MODERATION_MODEL.version}`;
    if (this.pool) {
      if (this.pool.size === 0) throw new Error('No inference thread is running');
      return { model, ...this.pool.engine, threads: this.pool.size };
    }
    if (this.loadError) throw new Error(`The model failed to load: ${this.loadError.message}`);
    if (this.loading) throw new Error('The model is loading');
    return { model, loaded: false };
  }
}
