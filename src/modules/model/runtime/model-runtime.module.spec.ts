import { Global, INestApplicationContext, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventuallyResolves } from '../../../../test/support/eventually';
import { testImages } from '../../../../test/support/images';
import { AppConfig } from '../../../config';
import { ReadinessRegistry } from '../../health/readiness.registry';
import { MetricsService } from '../../metrics/metrics.service';
import { EMBEDDING_SIZE, MODERATION_LABELS } from './bundled-mobilenet';
import { ImageAnalysis, ModelRuntime } from './model-runtime';
import { ModelRuntimeModule } from './model-runtime.module';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'vireo-runtime-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

async function boot(env: Record<string, string>): Promise<INestApplicationContext> {
  const config = AppConfig.fromEnv({
    TF_BACKEND: 'wasm',
    INFERENCE_THREADS: '1',
    DATA_DIR: dataDir,
    ...env,
  });
  @Global()
  @Module({
    providers: [{ provide: AppConfig, useValue: config }, ReadinessRegistry, MetricsService],
    exports: [AppConfig, ReadinessRegistry, MetricsService],
  })
  class AppInfrastructure {}
  const moduleRef = await Test.createTestingModule({
    imports: [AppInfrastructure, ModelRuntimeModule],
  }).compile();
  return moduleRef.init();
}

function modelReadiness(app: INestApplicationContext) {
  const check = new Map(app.get(ReadinessRegistry).entries()).get('model');
  if (!check) throw new Error('No readiness check named model');
  return check({ signal: new AbortController().signal });
}

async function batchSizes(app: INestApplicationContext): Promise<{ count: number; sum: number }> {
  const metric = await app
    .get(MetricsService)
    .registry.getSingleMetric('vireo_model_batch_size')!
    .get();
  const values = metric.values as { metricName?: string; value: number }[];
  const value = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
  return { count: value('vireo_model_batch_size_count'), sum: value('vireo_model_batch_size_sum') };
}

describe('ModelRuntimeModule (preloading, as shipped)', () => {
  let app: INestApplicationContext;
  let runtime: ModelRuntime;

  beforeAll(async () => {
    app = await boot({ MODEL_PRELOAD: 'true', BATCH_MAX_DELAY_MS: '50', BATCH_MAX_SIZE: '16' });
    runtime = app.get(ModelRuntime);
  });

  afterAll(() => app.close());

  it('is not ready while the model loads, then reports the model, runtime and threads', async () => {
    await expect(modelReadiness(app)).rejects.toThrow('loading');

    const details = await eventuallyResolves(() => modelReadiness(app));

    // INFERENCE_RUNTIME=auto: ONNX Runtime, which loads here, on the graph cached in DATA_DIR.
    expect(details).toEqual({ model: 'moderation@1', runtime: 'onnx', backend: 'cpu', threads: 1 });
    expect(runtime.engine).toEqual({ runtime: 'onnx', backend: 'cpu' });
    expect(await readdir(join(dataDir, 'models'))).toEqual([
      expect.stringMatching(/^mobilenet_v2-[0-9a-f]{16}\.onnx$/),
      expect.stringMatching(/^mobilenet_v2-[0-9a-f]{16}\.onnx\.sha256$/),
    ]);
    const metrics = await app.get(MetricsService).registry.metrics();
    expect(metrics).toMatch(
      /^vireo_model_backend_info\{runtime="onnx",backend="cpu",role="all"\} 1$/m,
    );
    expect(metrics).toMatch(/^vireo_model_inference_threads\{role="all"\} 1$/m);
  });

  it('gives an embedding and every moderation label, highest first', async () => {
    const { embedding, moderation } = await runtime.embedAndModerate(await testImages.jpeg());

    // Made in another realm than jest's (the worker thread's reply), so no instanceof.
    expect(Object.prototype.toString.call(embedding)).toBe('[object Float32Array]');
    expect(embedding).toHaveLength(EMBEDDING_SIZE);
    expect(moderation.map((m) => m.label).sort()).toEqual([...MODERATION_LABELS].sort());
    expect(moderation.map((m) => m.score)).toEqual(
      moderation.map((m) => m.score).sort((a, b) => b - a),
    );
    expect(moderation.reduce((sum, m) => sum + m.score, 0)).toBeCloseTo(1, 5);
  });

  it('batches concurrent calls, gives each caller its own result, fails only a bad image', async () => {
    const images = await Promise.all([
      testImages.jpeg(),
      testImages.noiseJpeg(20_000),
      testImages.png(90, 30, '#10e040'),
      testImages.exifRotatedJpeg(),
      testImages.animatedGif(),
      testImages.cmykJpeg(),
    ]);
    const alone: ImageAnalysis[] = [];
    for (const image of images) alone.push(await runtime.embedAndModerate(image));
    const before = await batchSizes(app);

    const [bad, ...together] = await Promise.allSettled([
      runtime.embedAndModerate(Buffer.from('not an image')),
      ...images.map((image) => runtime.embedAndModerate(image)),
    ]);

    const after = await batchSizes(app);
    expect(after.sum - before.sum).toBe(images.length);
    expect(after.count - before.count).toBeLessThan(images.length);
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'unsupported_image' } });
    together.forEach((result, i) => {
      if (result.status !== 'fulfilled') throw result.reason;
      const score = (label: string, of: ImageAnalysis) =>
        of.moderation.find((m) => m.label === label)!.score;
      for (const label of MODERATION_LABELS) {
        expect(score(label, result.value)).toBeCloseTo(score(label, alone[i]), 4);
      }
      result.value.embedding.forEach((v, j) => expect(v).toBeCloseTo(alone[i].embedding[j], 3));
    });
  });
});

describe('ModelRuntimeModule (INFERENCE_RUNTIME=tfjs, MODEL_PRELOAD=false)', () => {
  it('loads on the first call and refuses calls after shutdown', async () => {
    const app = await boot({ MODEL_PRELOAD: 'false', INFERENCE_RUNTIME: 'tfjs' });
    const runtime = app.get(ModelRuntime);

    expect(await modelReadiness(app)).toEqual({ model: 'moderation@1', loaded: false });
    expect(runtime.engine).toBeNull();

    await runtime.embedAndModerate(await testImages.png());
    expect(await modelReadiness(app)).toMatchObject({
      runtime: 'tfjs',
      backend: 'wasm',
      threads: 1,
    });

    await app.close();
    await expect(runtime.embedAndModerate(await testImages.png())).rejects.toThrow('closed');
  });
});
