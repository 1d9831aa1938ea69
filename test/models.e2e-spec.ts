import * as tf from '@tensorflow/tfjs';
import { AppError } from '../src/common/app-error';
import { ModelRegistry } from '../src/modules/model/model-registry';
import { ModelPrediction, ModelServer } from '../src/modules/model/model-server';
import {
  EMBEDDING_SIZE,
  initTfBackend,
  ModelRuntime,
  preprocessImage,
} from '../src/modules/model/runtime';
import { ObjectStorage } from '../src/modules/storage/object-storage';
import { bootApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { SHAPES, Shape, testImages } from './support/images';
import {
  artifactFiles,
  DenseParams,
  denseHead,
  graphHead,
  WEIGHTS_FILE,
} from './support/model-artifacts';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';
import { RunningS3, startS3rver } from './support/s3rver';

const HEAD = 'shapes';
const TRAINING_VARIANTS = [0, 1, 2, 3, 4, 5, 6, 7];
const HELD_OUT_VARIANTS = [8, 9, 10];

/** Two web replicas booted together on one PostgreSQL, Redis and S3, as in production. */
let s3: RunningS3;
let db: TestDatabase;
const redis = testRedis();
let replicas: TestApp[] = [];
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  [s3, db] = await Promise.all([startS3rver(), createTestDatabase()]);
  const env = {
    ROLE: 'web',
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    SIGNING_SECRET: 'models-e2e-signing-secret',
    MODEL_PRELOAD: 'true',
  };
  // The main thread's TF.js, where heads run and this file trains one.
  await initTfBackend('cpu');
  const booted = await Promise.allSettled([bootApp(env), bootApp(env)]);
  replicas = booted.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = booted.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  [a, b] = replicas;
  await Promise.all(
    replicas.map((replica) =>
      eventually(async () => {
        const res = await replica.http().get('/health/ready');
        return res.status === 200 ? res : undefined;
      }, 60_000),
    ),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
  await Promise.all([s3?.stop(), db?.drop(), deleteRedisKeys(redis)]);
});

const registry = (app: TestApp) => app.app.get(ModelRegistry);
const server = (app: TestApp) => app.app.get(ModelServer);
const score = (prediction: ModelPrediction | undefined, label: string) =>
  prediction?.labels.find((l) => l.label === label)?.score ?? 0;
const argmax = (scores: ArrayLike<number>) =>
  Array.from(scores).reduce((best, s, i, all) => (s > all[best] ? i : best), 0);

async function expectAppError(promise: Promise<unknown>, status: number, code: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code });
  expect((error as AppError).getStatus()).toBe(status);
  return error as AppError;
}

describe('the bundled moderation model', () => {
  it('is registered once, as version 1 in production, by replicas booting together', async () => {
    const versions = await registry(a).listVersions('moderation');
    expect(versions).toEqual([
      expect.objectContaining({
        version: 1,
        status: 'production',
        artifactKey: 'bundled:nsfwjs/mobilenet_v2',
        labels: ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'],
      }),
    ]);
    for (const replica of replicas) {
      const ready = await replica.http().get('/health/ready').expect(200);
      expect(ready.body.checks.models).toMatchObject({
        status: 'up',
        backend: expect.stringMatching(/^(tensorflow|wasm|cpu)$/),
        production: ['moderation@1'],
      });
    }
  });

  it('gives deterministic predictions that sum to 1, the same on every replica', async () => {
    const images = await Promise.all([
      testImages.jpeg(),
      testImages.noiseJpeg(20_000),
      testImages.cartoon(),
    ]);
    for (const image of images) {
      const [first, again, other] = await Promise.all([
        server(a).predict(image),
        server(a).predict(image),
        server(b).predict(image),
      ]);
      expect(first.map((p) => `${p.model}@${p.version}`)).toEqual(['moderation@1']);
      const [moderation] = first;
      expect(moderation.labels).toHaveLength(5);
      expect(moderation.labels.reduce((sum, l) => sum + l.score, 0)).toBeCloseTo(1, 5);
      for (const { label, score: s } of moderation.labels) {
        expect(score(again[0], label)).toBeCloseTo(s, 5);
        expect(score(other[0], label)).toBeCloseTo(s, 5);
      }
    }
  });

  it('scores a flat cartoon drawing clearly more Drawing + Neutral than noise', async () => {
    const [cartoon] = await server(a).predict(await testImages.cartoon());
    const [noise] = await server(a).predict(await testImages.noiseJpeg(20_000));
    const safe = (p: ModelPrediction) => score(p, 'Drawing') + score(p, 'Neutral');
    // Measured: cartoon 0.998 Neutral; noise 0.77 Neutral, 0.23 Porn.
    expect(safe(cartoon)).toBeGreaterThan(0.95);
    expect(safe(cartoon) - safe(noise)).toBeGreaterThan(0.1);
  });

  it('infers on an FP32 pixel tensor as on the encoded image, and refuses other shapes', async () => {
    const image = await testImages.cartoon();
    const pixels = await preprocessImage(image);
    const fromBytes = await server(a).infer('moderation', undefined, {
      kind: 'images',
      images: [image, image],
    });
    const fromTensor = await server(a).infer('moderation', 1, {
      kind: 'tensor',
      data: pixels,
      shape: [1, 224, 224, 3],
    });
    expect(fromBytes.shape).toEqual([2, 5]);
    expect(fromTensor).toMatchObject({ version: 1, shape: [1, 5] });
    fromTensor.scores.forEach((s, i) => expect(fromBytes.scores[i + 5]).toBeCloseTo(s, 5));

    const error = await expectAppError(
      server(a).infer('moderation', 1, { kind: 'tensor', data: pixels, shape: [1, 224, 672] }),
      400,
      'invalid_tensor',
    );
    expect(error.details).toMatchObject({ expected: { shape: [-1, 224, 224, 3] } });
    await expectAppError(
      server(a).infer('moderation', 2, input1280()),
      404,
      'model_version_not_found',
    );
    await expectAppError(server(a).describe('nope'), 404, 'model_not_found');
  });

  it('takes no uploads and has nothing to roll back to', async () => {
    const files = await artifactFiles(denseHead(EMBEDDING_SIZE, 5));
    await expectAppError(registry(a).addVersion('moderation', { files }), 422, 'bundled_model');
    await expectAppError(registry(a).rollback('moderation'), 409, 'nothing_to_roll_back');
  });
});

function input1280(rows = 1) {
  return {
    kind: 'tensor' as const,
    data: new Float32Array(rows * EMBEDDING_SIZE),
    shape: [rows, EMBEDDING_SIZE],
  };
}

/**
 * Issue 11's costly head: 3,843 parameters, but RepeatVector makes 2,000 rows of each input,
 * so one call of 16 rows held the event loop ~7 s.
 */
function repeatingHead(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.repeatVector({ inputShape: [EMBEDDING_SIZE], n: 2000 }),
      tf.layers.globalAveragePooling1d(),
      tf.layers.dense({ units: SHAPES.length, activation: 'softmax' }),
    ],
  });
}

describe('a head trained on the embedding', () => {
  let trained: tf.LayersModel;
  let heldOut: { shape: Shape; image: Buffer }[];

  /** The images' embeddings, through replica a's runtime (batched in its inference thread). */
  async function embed(images: Buffer[]): Promise<tf.Tensor2D> {
    const runtime = a.app.get(ModelRuntime);
    const analyses = await Promise.all(images.map((image) => runtime.embedAndModerate(image)));
    const rows = new Float32Array(analyses.length * EMBEDDING_SIZE);
    analyses.forEach((analysis, i) => rows.set(analysis.embedding, i * EMBEDDING_SIZE));
    return tf.tensor2d(rows, [analyses.length, EMBEDDING_SIZE]);
  }

  beforeAll(async () => {
    const examples = SHAPES.flatMap((shape, label) =>
      TRAINING_VARIANTS.map((variant) => ({ label, image: testImages.shape(shape, variant) })),
    );
    const x = await embed(await Promise.all(examples.map((e) => e.image)));
    const y = tf.oneHot(
      examples.map((e) => e.label),
      SHAPES.length,
    );
    trained = denseHead(EMBEDDING_SIZE, SHAPES.length);
    trained.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    await trained.fit(x, y, { epochs: 80, batchSize: examples.length, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    heldOut = await Promise.all(
      SHAPES.flatMap((shape) =>
        HELD_OUT_VARIANTS.map(async (variant) => ({
          shape,
          image: await testImages.shape(shape, variant),
        })),
      ),
    );
  }, 120_000);

  afterAll(() => trained?.dispose());

  const storedKeys = async () =>
    (await a.app.get(ObjectStorage).list('models/')).map((o) => o.key).sort();

  it('refuses corrupt artifacts of every kind with 422 and stores nothing', async () => {
    const good = await artifactFiles(trained, [...SHAPES]);
    const [modelJson, weights] = good;
    const json = JSON.parse(modelJson.bytes.toString());
    const withJson = (changed: object) => [
      { name: 'model.json', bytes: Buffer.from(JSON.stringify({ ...json, ...changed })) },
      weights,
    ];
    const wrongInput = await artifactFiles(denseHead(10, 3), [...SHAPES]);
    const tooLarge = await artifactFiles(denseHead(EMBEDDING_SIZE, 3, 400), [...SHAPES]);
    const costly = await artifactFiles(repeatingHead(), [...SHAPES]);
    const withWeight = (value: number) => {
      const bytes = Buffer.from(weights.bytes);
      bytes.writeFloatLE(value, 4 * 17);
      return [modelJson, { name: WEIGHTS_FILE, bytes }];
    };
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        'no model.json',
        () => registry(a).addVersion(HEAD, { files: [weights] }),
        'invalid_model_artifact',
      ],
      [
        'model.json that is not JSON',
        () =>
          registry(a).addVersion(HEAD, {
            files: [{ name: 'model.json', bytes: Buffer.from('{"modelTopology": ') }, weights],
          }),
        'invalid_model_artifact',
      ],
      [
        'a missing weight file',
        () => registry(a).addVersion(HEAD, { files: [modelJson] }),
        'invalid_model_artifact',
      ],
      [
        'a truncated weight file',
        () =>
          registry(a).addVersion(HEAD, {
            files: [modelJson, { name: WEIGHTS_FILE, bytes: weights.bytes.subarray(0, 1000) }],
          }),
        'invalid_model_artifact',
      ],
      [
        'a file the manifest does not name',
        () =>
          registry(a).addVersion(HEAD, {
            files: [...good, { name: 'notes.txt', bytes: Buffer.from('hi') }],
          }),
        'invalid_model_artifact',
      ],
      [
        'a topology that does not load',
        () =>
          registry(a).addVersion(HEAD, {
            files: withJson({ modelTopology: { class_name: 'Nonsense', config: {} } }),
          }),
        'invalid_model_artifact',
      ],
      [
        'a path outside the artifact',
        () =>
          registry(a).addVersion(HEAD, {
            files: [modelJson, { name: '../weights.bin', bytes: weights.bytes }],
          }),
        'invalid_model_artifact',
      ],
      [
        'an input other than the embedding',
        () => registry(a).addVersion(HEAD, { files: wrongInput }),
        'incompatible_model_shape',
      ],
      [
        'more labels than outputs',
        () => registry(a).addVersion(HEAD, { files: good, labels: ['a', 'b', 'c', 'd'] }),
        'incompatible_model_shape',
      ],
      [
        'no labels',
        () => registry(a).addVersion(HEAD, { files: withJson({ userDefinedMetadata: {} }) }),
        'invalid_labels',
      ],
      [
        'over the parameter cap',
        () => registry(a).addVersion(HEAD, { files: tooLarge }),
        'model_too_large',
      ],
      [
        'a 3.8k-parameter head whose cost does not follow from its parameters',
        () => registry(a).addVersion(HEAD, { files: costly }),
        'unsupported_layer',
      ],
      [
        'a NaN weight',
        () => registry(a).addVersion(HEAD, { files: withWeight(NaN) }),
        'non_finite_weights',
      ],
      [
        'an infinite weight',
        () => registry(a).addVersion(HEAD, { files: withWeight(-Infinity) }),
        'non_finite_weights',
      ],
    ];
    for (const [kind, attempt, code] of cases) {
      const error = await attempt().then(
        () => new Error(`accepted ${kind}`),
        (e: unknown) => e,
      );
      expect({ kind, error }).toMatchObject({ kind, error: { code } });
      expect((error as AppError).getStatus()).toBe(422);
    }
    expect(await storedKeys()).toEqual([]);
    await expectAppError(registry(a).getModel(HEAD), 404, 'model_not_found');
  });

  it('stores a new staged version that answers before it is promoted', async () => {
    const version = await registry(a).addVersion(HEAD, {
      files: await artifactFiles(trained, [...SHAPES]),
      description: 'Red circles, green squares, blue triangles',
    });
    expect(version).toMatchObject({
      modelName: HEAD,
      version: 1,
      status: 'staged',
      labels: [...SHAPES],
    });
    expect(await storedKeys()).toEqual(
      [version.artifactKey, version.artifactKey.replace('model.json', WEIGHTS_FILE)].sort(),
    );
    expect(await registry(b).getModel(HEAD)).toMatchObject({ name: HEAD, production: null });

    const result = await server(b).infer(HEAD, 1, {
      kind: 'images',
      images: heldOut.map((h) => h.image),
    });
    expect(result.shape).toEqual([heldOut.length, SHAPES.length]);
    const predicted = heldOut.map(
      (_, i) => SHAPES[argmax(result.scores.subarray(i * SHAPES.length, (i + 1) * SHAPES.length))],
    );
    expect(predicted).toEqual(heldOut.map((h) => h.shape));
    expect(await server(b).describe(HEAD, 1)).toMatchObject({
      status: 'staged',
      inputs: [
        { name: 'embedding', datatype: 'FP32', shape: [-1, EMBEDDING_SIZE] },
        { name: 'image', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, SHAPES.length] }],
    });
    // Not in production: predict runs the production models only.
    expect((await server(b).predict(heldOut[0].image)).map((p) => p.model)).toEqual(['moderation']);
  });

  it('switches what the other replica serves within seconds of a promotion', async () => {
    const circle = heldOut.find((h) => h.shape === 'circle')!.image;
    const { promoted, archived } = await registry(a).promote(HEAD, 1);
    expect(promoted).toMatchObject({ version: 1, status: 'production' });
    expect(archived).toBeNull();
    const promotedAt = Date.now();

    const served = await eventually(async () => {
      const predictions = await server(b).predict(circle, 1);
      return predictions.find((p) => p.model === HEAD);
    }, 5_000);
    const switchMs = Date.now() - promotedAt;
    expect(served).toEqual({
      model: HEAD,
      version: 1,
      labels: [{ label: 'circle', score: expect.any(Number) }],
    });
    expect(switchMs).toBeLessThan(5_000);
    const ready = await b.http().get('/health/ready').expect(200);
    expect(ready.body.checks.models.production).toEqual(['moderation@1', `${HEAD}@1`]);
  });

  it('promotes and rolls back atomically, one production version at a time', async () => {
    const circle = heldOut.find((h) => h.shape === 'circle')!.image;
    // Version 2: the same weights under other names, so the served version shows in the labels.
    const renamed = ['ring', 'box', 'wedge'];
    await registry(a).addVersion(HEAD, { files: await artifactFiles(trained), labels: renamed });
    const topLabelOnB = async () =>
      (await server(b).predict(circle, 1)).find((p) => p.model === HEAD)?.labels[0].label;
    const production = async () =>
      (await registry(b).listVersions(HEAD))
        .filter((v) => v.status === 'production')
        .map((v) => v.version);

    await registry(a).promote(HEAD, 2);
    await eventually(async () => ((await topLabelOnB()) === 'ring' ? true : undefined));
    expect(await production()).toEqual([2]);

    const rolledBack = await registry(a).rollback(HEAD);
    expect(rolledBack).toMatchObject({ promoted: { version: 1 }, archived: { version: 2 } });
    await eventually(async () => ((await topLabelOnB()) === 'circle' ? true : undefined));
    expect(await production()).toEqual([1]);

    await registry(a).rollback(HEAD);
    await eventually(async () => ((await topLabelOnB()) === 'ring' ? true : undefined));
    expect(await production()).toEqual([2]);
    await expectAppError(registry(a).promote(HEAD, 9), 404, 'model_version_not_found');
    await expectAppError(registry(a).promote('nope', 1), 404, 'model_not_found');
  });

  it('runs heads in the inference threads, never on the HTTP thread, and checks the input shape', async () => {
    const models = server(a);
    const files = await artifactFiles(trained, [...SHAPES]);

    // The main thread's TF.js (this file trains heads with it) runs no kernel meanwhile.
    const profile = await tf.profile(async () => {
      for (let i = 0; i < 200; i++) {
        await models.infer(HEAD, undefined, input1280(i % 50 === 0 ? 300 : 1 + (i % 4)));
      }
      await registry(a).addVersion(HEAD, { files });
      await models.predict(await testImages.shape('circle', 1));
    });
    expect(profile.kernels.map((k) => k.name)).toEqual([]);
    expect(profile.newTensors).toBe(0);
    const before = tf.memory().numTensors;

    const error = await expectAppError(
      models.infer(HEAD, undefined, {
        kind: 'tensor',
        data: new Float32Array(1000),
        shape: [1, 1000],
      }),
      400,
      'invalid_tensor',
    );
    expect(error.details).toMatchObject({
      expected: { name: 'embedding', shape: [-1, EMBEDDING_SIZE] },
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a graph-model head (TF.js GraphDef JSON, written by hand)', () => {
  const GRAPH_HEAD = 'graph-head';
  const LABELS = ['low', 'mid', 'high'];
  const params: DenseParams = {
    kernel: Float32Array.from(
      { length: EMBEDDING_SIZE * LABELS.length },
      (_, i) => Math.sin(i * 0.7) * 0.05,
    ),
    bias: Float32Array.from([0.4, -0.3, 0.1]),
  };
  const embeddings = (rows: number) =>
    Float32Array.from({ length: rows * EMBEDDING_SIZE }, (_, i) => Math.cos(i * 0.37) + 0.5);

  /** softmax(x · kernel + bias) for each row of `x`, in plain JS (float64). */
  function softmaxOfDense(x: Float32Array): number[] {
    const classes = params.bias.length;
    return Array.from({ length: x.length / EMBEDDING_SIZE }, (_, row) => {
      const logits = Array.from(params.bias, (bias, j) => {
        let sum = bias;
        for (let i = 0; i < EMBEDDING_SIZE; i++) {
          sum += x[row * EMBEDDING_SIZE + i] * params.kernel[i * classes + j];
        }
        return sum;
      });
      const top = Math.max(...logits);
      const exps = logits.map((logit) => Math.exp(logit - top));
      const total = exps.reduce((sum, e) => sum + e, 0);
      return exps.map((e) => e / total);
    }).flat();
  }

  function expectScores(actual: ArrayLike<number>, expected: number[]) {
    expect(actual).toHaveLength(expected.length);
    expected.forEach((score, i) => expect(actual[i]).toBeCloseTo(score, 5));
  }

  const storedKeys = async () =>
    (await a.app.get(ObjectStorage).list('models/')).map((o) => o.key).sort();

  it('loads in plain TF.js as a graph model and computes softmax(x · W + b)', async () => {
    const [modelJson, weights] = graphHead(params);
    const json = JSON.parse(modelJson.bytes.toString()) as tf.io.ModelJSON;
    const model = await tf.loadGraphModel(
      tf.io.fromMemory({
        ...json,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: new Uint8Array(weights.bytes).buffer,
      }),
    );
    const x = embeddings(2);
    const input = tf.tensor2d(x, [2, EMBEDDING_SIZE]);
    const output = model.predict(input) as tf.Tensor;
    expect(model.inputs).toEqual([
      { name: 'embedding', shape: [-1, EMBEDDING_SIZE], dtype: 'float32' },
    ]);
    expect(output.shape).toEqual([2, LABELS.length]);
    const expected = softmaxOfDense(x);
    expectScores(output.dataSync(), expected);
    // Not a degenerate softmax: the three scores differ clearly.
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.1);
    tf.dispose([input, output]);
    model.dispose();
  });

  it('refuses a graph whose node reads a missing input with 422 and stores nothing', async () => {
    const [modelJson, weights] = graphHead(params, LABELS);
    const json = JSON.parse(modelJson.bytes.toString());
    const matMul = json.modelTopology.node.find((n: { op: string }) => n.op === 'MatMul');
    matMul.input = ['embedding', 'no_such_node'];
    const before = await storedKeys();
    const corrupt = { name: 'model.json', bytes: Buffer.from(JSON.stringify(json)) };

    await expectAppError(
      registry(a).addVersion(GRAPH_HEAD, { files: [corrupt, weights] }),
      422,
      'invalid_model_artifact',
    );
    expect(await storedKeys()).toEqual(before);
    await expectAppError(registry(a).getModel(GRAPH_HEAD), 404, 'model_not_found');
  });

  it('is stored, promoted and served: infer on an embedding tensor, predict on an image', async () => {
    const version = await registry(a).addVersion(GRAPH_HEAD, { files: graphHead(params, LABELS) });
    expect(version).toMatchObject({
      modelName: GRAPH_HEAD,
      version: 1,
      status: 'staged',
      labels: LABELS,
      metrics: {
        parameterCount: EMBEDDING_SIZE * LABELS.length + LABELS.length,
        probeMs: expect.any(Number),
      },
    });
    await registry(a).promote(GRAPH_HEAD, 1);

    // Replica b loads it from object storage on the promotion message.
    const image = await testImages.cartoon();
    const { embedding } = await b.app.get(ModelRuntime).embedAndModerate(image);
    const served = await eventually(async () => {
      const predictions = await server(b).predict(image, LABELS.length);
      return predictions.find((p) => p.model === GRAPH_HEAD);
    });
    expect(served).toMatchObject({ model: GRAPH_HEAD, version: 1 });
    expect(served.labels.map((l) => l.label).sort()).toEqual([...LABELS].sort());
    expectScores(
      LABELS.map((label) => score(served, label)),
      softmaxOfDense(embedding),
    );

    const x = embeddings(3);
    const result = await server(b).infer(GRAPH_HEAD, undefined, {
      kind: 'tensor',
      data: x,
      shape: [3, EMBEDDING_SIZE],
    });
    expect(result).toMatchObject({ version: 1, shape: [3, LABELS.length] });
    expectScores(result.scores, softmaxOfDense(x));

    // Both replicas share this process's TF.js: count once both hold the head.
    await eventually(async () => {
      const ready = await a.http().get('/health/ready');
      return ready.body.checks?.models?.production?.includes(`${GRAPH_HEAD}@1`) ? true : undefined;
    });
    const before = tf.memory().numTensors;
    for (const rows of [1, 2, 300]) await server(b).infer(GRAPH_HEAD, undefined, input1280(rows));
    expect(tf.memory().numTensors).toBe(before);
  });
});
