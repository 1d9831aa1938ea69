import * as tf from '@tensorflow/tfjs';
import type { Test } from 'supertest';
import {
  EMBEDDING_SIZE,
  initTfBackend,
  INPUT_SIZE,
  MODERATION_LABELS,
  ModelRuntime,
  preprocessImage,
} from '../src/modules/model/runtime';
import type { ArtifactFile } from '../src/modules/model/model-registry';
import { TestApp } from './support/app';
import { eventually } from './support/eventually';
import { SHAPES, testImages } from './support/images';
import { artifactFiles, denseHead } from './support/model-artifacts';
import { bootWebReplicas, Replicas } from './support/replicas';
import { RunningS3, startS3rver } from './support/s3rver';

const ADMIN_KEY = 'vir_servingadmin_0123456789abcdefghijABCDEFGHIJ';
const MAX_UPLOAD_BYTES = 300_000;
const MAX_TENSOR_BYTES = 6 * 1024 * 1024;
const TOP_K = 3;
const HEAD = 'shapes';

interface LabelScore {
  label: string;
  score: number;
}
interface Prediction {
  model: string;
  version: number;
  labels: LabelScore[];
}

/**
 * Two web replicas on one PostgreSQL, Redis and S3 (s3rver), as behind nginx; one inference
 * thread each. Suites run in order: the head model is registered halfway through.
 */
let s3: RunningS3;
let cluster: Replicas;
let a: TestApp;
let b: TestApp;
let keys: { predict: string; readOnly: string };

beforeAll(async () => {
  s3 = await startS3rver();
  cluster = await bootWebReplicas({
    ADMIN_API_KEY: ADMIN_KEY,
    SIGNING_SECRET: 'model-serving-e2e-signing-secret',
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    // Two 224x224x3 FP32 tensors written as JSON (~2.3 MB each), not three.
    MAX_TENSOR_BYTES: String(MAX_TENSOR_BYTES),
    PREDICT_TOP_K: String(TOP_K),
  });
  [a, b] = cluster.replicas;
  keys = { predict: await createKey(['predict']), readOnly: await createKey(['images:read']) };
}, 120_000);

afterAll(async () => {
  await cluster?.close();
  await s3?.stop();
});

const asAdmin = { authorization: `Bearer ${ADMIN_KEY}` };
const withKey = (key: string) => ({ 'x-api-key': key });
const errorCode = (res: { body: { error: { code: string } } }) => res.body.error.code;

async function createKey(scopes: string[]): Promise<string> {
  const res = await a.http().post('/v1/keys').set(asAdmin).send({ name: 'serving', scopes });
  expect(res.status).toBe(201);
  return res.body.key as string;
}

function predict(app: TestApp, image: Buffer, query = ''): Test {
  return app
    .http()
    .post(`/v1/predict${query}`)
    .set(withKey(keys.predict))
    .attach('file', image, 'image.jpg');
}

async function predictions(app: TestApp, image: Buffer, query = ''): Promise<Prediction[]> {
  const res = await predict(app, image, query);
  expect(res.status).toBe(200);
  return res.body.predictions as Prediction[];
}

function uploadVersion(app: TestApp, name: string, files: ArtifactFile[], fields = {}): Test {
  const req = app.http().post(`/v1/models/${name}/versions`).set(asAdmin);
  for (const [field, value] of Object.entries(fields)) req.field(field, value as string);
  for (const file of files) req.attach('artifact', file.bytes, file.name);
  return req;
}

/** Backbone batches run and images in them so far, from the replica's metrics. */
async function batches(app: TestApp): Promise<{ batches: number; images: number }> {
  const { text } = await app.http().get('/metrics').expect(200);
  // Summed over every label set the histogram has.
  const metric = (name: string) =>
    [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
      (total, [, value]) => total + Number(value),
      0,
    );
  return {
    batches: metric('vireo_model_batch_size_count'),
    images: metric('vireo_model_batch_size_sum'),
  };
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** Label -> score of one model's prediction. */
const scoresOf = (prediction: Prediction) =>
  Object.fromEntries(prediction.labels.map(({ label, score }) => [label, score]));

function expectSameScores(actual: Prediction[], expected: Prediction[]): void {
  expect(actual.map((p) => [p.model, p.version])).toEqual(
    expected.map((p) => [p.model, p.version]),
  );
  actual.forEach((prediction, i) => {
    const want = scoresOf(expected[i]);
    expect(Object.keys(scoresOf(prediction)).sort()).toEqual(Object.keys(want).sort());
    for (const { label, score } of prediction.labels) expect(score).toBeCloseTo(want[label], 5);
  });
}

describe('POST /v1/predict', () => {
  let jpeg: Buffer;
  let png: Buffer;

  beforeAll(async () => {
    [jpeg, png] = await Promise.all([testImages.noiseJpeg(20_000), testImages.cartoon()]);
  });

  it('answers the top-k labels of the production moderation model, highest first', async () => {
    const [moderation, ...others] = await predictions(a, png);
    expect(others).toEqual([]);
    expect(moderation).toMatchObject({ model: 'moderation', version: 1 });
    expect(moderation.labels).toHaveLength(TOP_K);
    const scores = moderation.labels.map((l) => l.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    for (const { label } of moderation.labels) expect(MODERATION_LABELS).toContain(label);
  });

  it('gives every label with ?topK=5: scores that sum to 1, the same on every call', async () => {
    const first = await predictions(a, jpeg, '?topK=5');
    expect(first[0].labels.map((l) => l.label).sort()).toEqual([...MODERATION_LABELS].sort());
    expect(sum(first[0].labels.map((l) => l.score))).toBeCloseTo(1, 5);
    expect(await predictions(a, jpeg, '?topK=5')).toEqual(first);
    expect(await predictions(b, jpeg, '?topK=5')).toEqual(first);
  });

  it('rates a flat cartoon as more of a drawing than noise', async () => {
    const [cartoon] = await predictions(a, png, '?topK=5');
    const [noise] = await predictions(a, jpeg, '?topK=5');
    expect(scoresOf(cartoon).Drawing).toBeGreaterThan(scoresOf(noise).Drawing);
  });

  it.each([['image/png'], ['application/octet-stream']])(
    'takes the image as a raw %s body, with the multipart answer',
    async (contentType) => {
      const res = await a
        .http()
        .post('/v1/predict?topK=5')
        .set(withKey(keys.predict))
        .set('content-type', contentType)
        .send(png)
        .expect(200);
      expectSameScores(res.body.predictions, await predictions(a, png, '?topK=5'));
    },
  );

  it('returns each concurrent caller its own result when requests are batched', async () => {
    const images = await Promise.all([
      ...SHAPES.flatMap((shape) => [0, 1].map((variant) => testImages.shape(shape, variant))),
      testImages.cartoon(),
      testImages.noiseJpeg(10_000),
      testImages.jpeg(64, 48, '#ff0000'),
      testImages.png(80, 60, '#00ff88'),
      testImages.exifRotatedJpeg(),
      testImages.cmykJpeg(),
    ]);
    const alone: Prediction[][] = [];
    for (const image of images) alone.push(await predictions(a, image, '?topK=5'));
    const before = await batches(a);
    const together = await Promise.all(images.map((image) => predictions(a, image, '?topK=5')));
    const after = await batches(a);
    together.forEach((answer, i) => expectSameScores(answer, alone[i]));
    expect(after.images - before.images).toBe(images.length);
    expect(after.batches - before.batches).toBeLessThan(images.length);
    // The images differ, so a mixed-up batch would show.
    const topScores = new Set(alone.map(([moderation]) => moderation.labels[0].score.toFixed(6)));
    expect(topScores.size).toBeGreaterThan(images.length / 2);
  });

  it('stores nothing', async () => {
    await predictions(a, png);
    const res = await a.http().get('/v1/images').set(asAdmin).expect(200);
    expect(res.body.items).toEqual([]);
  });

  it('refuses bytes that are no image with 415 unsupported_image', async () => {
    const multipart = await a
      .http()
      .post('/v1/predict')
      .set(withKey(keys.predict))
      .attach('file', Buffer.from('not an image at all'), 'x.jpg')
      .expect(415);
    expect(errorCode(multipart)).toBe('unsupported_image');
    const raw = await a
      .http()
      .post('/v1/predict')
      .set(withKey(keys.predict))
      .set('content-type', 'application/octet-stream')
      .send(Buffer.from('GIF89a but truncated'))
      .expect(415);
    expect(errorCode(raw)).toBe('unsupported_image');
    // The decoder's own words name its internals, not the client's input.
    expect(raw.body.error.message).toBe('The bytes are not an image that can be decoded');
  });

  it('refuses SVG and other types uploads refuse with 415 before any decoder reads them', async () => {
    const svg = Buffer.from(
      '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">' +
        '<rect width="8" height="8" fill="red"/></svg>',
    );
    const brokenSvg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect');
    for (const bytes of [svg, brokenSvg, Buffer.from('%PDF-1.4 a pdf')]) {
      const raw = a.http().post('/v1/predict').set(withKey(keys.predict));
      for (const res of [await predict(a, bytes), await raw.type('image/svg+xml').send(bytes)]) {
        expect([res.status, errorCode(res)]).toEqual([415, 'unsupported_image']);
        expect(res.body.error.message).not.toMatch(/glib|xml|vips|svg/i);
      }
    }
  });

  it('refuses an empty image with 400', async () => {
    const multipart = await a
      .http()
      .post('/v1/predict')
      .set(withKey(keys.predict))
      .attach('file', Buffer.alloc(0), 'empty.png')
      .expect(400);
    expect(errorCode(multipart)).toBe('empty_file');
    const raw = await a
      .http()
      .post('/v1/predict')
      .set(withKey(keys.predict))
      .set('content-type', 'image/png')
      .send(Buffer.alloc(0))
      .expect(400);
    expect(errorCode(raw)).toBe('empty_file');
    const none = await a.http().post('/v1/predict').set(withKey(keys.predict)).expect(400);
    expect(errorCode(none)).toBe('empty_file');
  });

  it('refuses an image past MAX_UPLOAD_BYTES with 413', async () => {
    const large = await testImages.noiseJpeg(MAX_UPLOAD_BYTES * 1.5);
    expect(large.length).toBeGreaterThan(MAX_UPLOAD_BYTES);
    const multipart = await predict(a, large);
    expect(multipart.status).toBe(413);
    expect(errorCode(multipart)).toBe('payload_too_large');
    const raw = await a
      .http()
      .post('/v1/predict')
      .set(withKey(keys.predict))
      .set('content-type', 'image/jpeg')
      .send(large)
      .expect(413);
    expect(errorCode(raw)).toBe('payload_too_large');
  });

  it('refuses forms without one image in "file", other bodies and a bad topK', async () => {
    const post = () => a.http().post('/v1/predict').set(withKey(keys.predict));
    expect(errorCode(await post().field('label', 'x').expect(400))).toBe('unexpected_field');
    expect(errorCode(await post().attach('image', png, 'a.png').expect(400))).toBe(
      'unexpected_file',
    );
    const twoFiles = await post().attach('file', png, 'a.png').attach('file', png, 'b.png');
    expect(errorCode(twoFiles)).toBe('unexpected_file');
    const json = await post()
      .send({ image: png.toString('base64') })
      .expect(415);
    expect(errorCode(json)).toBe('unsupported_image_type');
    for (const topK of ['0', '-1', 'many', '1001']) {
      await predict(a, png, `?topK=${topK}`).expect(400);
    }
  });

  it('needs a credential with the predict scope', async () => {
    const anonymous = await a.http().post('/v1/predict').attach('file', png, 'a.png').expect(401);
    expect(errorCode(anonymous)).toBe('missing_credentials');
    const readOnly = await a
      .http()
      .post('/v1/predict')
      .set(withKey(keys.readOnly))
      .attach('file', png, 'a.png')
      .expect(403);
    expect(errorCode(readOnly)).toBe('insufficient_scope');
  });

  it('counts against the predict rate limit', async () => {
    const res = await predict(a, png).expect(200);
    expect(Number(res.headers['ratelimit-limit'])).toBe(a.config.rateLimits.predictPerMin);
  });
});

describe('a head trained on the embedding, through /v1/models', () => {
  let files: ArtifactFile[];
  const circle = () => testImages.shape('circle', 9);

  /** A softmax head on the embeddings of a few shape images, from replica a's runtime. */
  async function trainHead(): Promise<tf.LayersModel> {
    // This process's TF.js: the backend heads run on in the app's main thread.
    await initTfBackend('cpu');
    const runtime = a.app.get(ModelRuntime);
    const examples = SHAPES.flatMap((shape, label) =>
      [0, 1, 2, 3, 4, 5].map((variant) => ({ label, image: testImages.shape(shape, variant) })),
    );
    const analyses = await Promise.all(
      examples.map(async ({ image }) => runtime.embedAndModerate(await image)),
    );
    const rows = new Float32Array(examples.length * EMBEDDING_SIZE);
    analyses.forEach(({ embedding }, i) => rows.set(embedding, i * EMBEDDING_SIZE));
    const x = tf.tensor2d(rows, [examples.length, EMBEDDING_SIZE]);
    const y = tf.oneHot(
      examples.map((e) => e.label),
      SHAPES.length,
    );
    const head = denseHead(EMBEDDING_SIZE, SHAPES.length);
    head.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    await head.fit(x, y, { epochs: 80, batchSize: examples.length, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    return head;
  }

  /** What replica `app` serves for `HEAD` on a circle, once it serves `version`. */
  const servedBy = (app: TestApp, version: number) =>
    eventually(async () => {
      const head = (await predictions(app, await circle(), '?topK=5')).find(
        (p) => p.model === HEAD,
      );
      return head?.version === version ? head : undefined;
    }, 10_000);

  beforeAll(async () => {
    const head = await trainHead();
    files = await artifactFiles(head);
    head.dispose();
  }, 60_000);

  it('lists the bundled model, its versions, and 404 for unknown models', async () => {
    const list = await a.http().get('/v1/models').set(withKey(keys.predict)).expect(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({
        name: 'moderation',
        production: expect.objectContaining({
          version: 1,
          status: 'production',
          labels: [...MODERATION_LABELS],
        }),
      }),
    ]);
    const model = await a.http().get('/v1/models/moderation').set(withKey(keys.predict));
    expect(model.status).toBe(200);
    expect(model.body).toEqual(list.body.items[0]);
    const versions = await a
      .http()
      .get('/v1/models/moderation/versions')
      .set(withKey(keys.predict))
      .expect(200);
    expect(versions.body.items).toEqual([model.body.production]);
    expect(versions.body.items[0]).not.toHaveProperty('artifactKey');
    for (const path of ['/v1/models/nope', '/v1/models/nope/versions']) {
      const res = await a.http().get(path).set(withKey(keys.predict)).expect(404);
      expect(errorCode(res)).toBe('model_not_found');
    }
  });

  it('needs the predict scope to read and models:admin to change models', async () => {
    const read = await a.http().get('/v1/models').set(withKey(keys.readOnly)).expect(403);
    expect(errorCode(read)).toBe('insufficient_scope');
    const changes = [
      a.http().post(`/v1/models/${HEAD}/versions`).attach('artifact', files[0].bytes, 'model.json'),
      a.http().post('/v1/models/moderation/versions/1/promote'),
      a.http().post('/v1/models/moderation/rollback'),
    ];
    for (const change of changes) {
      const res = await change.set(withKey(keys.predict)).expect(403);
      expect(errorCode(res)).toBe('insufficient_scope');
    }
  });

  it('refuses a corrupt artifact with 422 and leaves the registry as it was', async () => {
    const [modelJson, weights] = files;
    const corrupt = [
      [{ name: 'model.json', bytes: Buffer.from('{ not json') }, weights],
      [modelJson],
      [modelJson, { name: weights.name, bytes: weights.bytes.subarray(1) }],
    ];
    for (const artifact of corrupt) {
      const res = await uploadVersion(a, HEAD, artifact, { labels: JSON.stringify(SHAPES) });
      expect(res.status).toBe(422);
      expect(errorCode(res)).toBe('invalid_model_artifact');
    }
    const noLabels = await uploadVersion(a, HEAD, files);
    expect(noLabels.status).toBe(422);
    const badLabels = await uploadVersion(a, HEAD, files, { labels: 'circle,square' });
    expect(badLabels.status).toBe(400);
    await a.http().get(`/v1/models/${HEAD}`).set(asAdmin).expect(404);
  });

  it('stores an upload as a staged version that serves nothing until promoted', async () => {
    const res = await uploadVersion(a, HEAD, files, {
      labels: JSON.stringify(SHAPES),
      task: 'classification',
      description: 'shapes on white',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      model: HEAD,
      version: 1,
      status: 'staged',
      labels: [...SHAPES],
    });
    const model = await a.http().get(`/v1/models/${HEAD}`).set(asAdmin).expect(200);
    expect(model.body).toMatchObject({ description: 'shapes on white', production: null });
    const served = await predictions(b, await circle());
    expect(served.map((p) => p.model)).toEqual(['moderation']);
  });

  it('404s for promoting an unknown model or version; 409 when nothing to roll back', async () => {
    for (const [path, code] of [
      [`/v1/models/${HEAD}/versions/7/promote`, 'model_version_not_found'],
      [`/v1/models/${HEAD}/versions/one/promote`, 'model_version_not_found'],
      ['/v1/models/nope/versions/1/promote', 'model_not_found'],
      ['/v1/models/nope/rollback', 'model_not_found'],
    ]) {
      const res = await a.http().post(path).set(asAdmin).expect(404);
      expect(errorCode(res)).toBe(code);
    }
    const rollback = await a.http().post(`/v1/models/${HEAD}/rollback`).set(asAdmin).expect(409);
    expect(errorCode(rollback)).toBe('nothing_to_roll_back');
  });

  it('promotes on one replica and the other serves the new version within seconds', async () => {
    const first = await a
      .http()
      .post(`/v1/models/${HEAD}/versions/1/promote`)
      .set(asAdmin)
      .expect(200);
    expect(first.body).toMatchObject({ promoted: { version: 1, status: 'production' } });
    const head = await servedBy(b, 1);
    expect(head.labels[0].label).toBe('circle');
    expect(sum(head.labels.map((l) => l.score))).toBeCloseTo(1, 5);

    await uploadVersion(a, HEAD, files, { labels: JSON.stringify(SHAPES) }).expect(201);
    const second = await a
      .http()
      .post(`/v1/models/${HEAD}/versions/2/promote`)
      .set(asAdmin)
      .expect(200);
    expect(second.body).toMatchObject({
      promoted: { version: 2, status: 'production' },
      archived: { version: 1, status: 'archived' },
    });
    await servedBy(b, 2);

    const rollback = await a.http().post(`/v1/models/${HEAD}/rollback`).set(asAdmin).expect(200);
    expect(rollback.body).toMatchObject({ promoted: { version: 1 }, archived: { version: 2 } });
    await servedBy(b, 1);
    const versions = await b.http().get(`/v1/models/${HEAD}/versions`).set(asAdmin).expect(200);
    expect(versions.body.items.map((v: { version: number; status: string }) => v)).toEqual([
      expect.objectContaining({ version: 2, status: 'archived' }),
      expect.objectContaining({ version: 1, status: 'production' }),
    ]);
  });

  it('runs only the model ?model= names (404 for one not in production, 400 for no name)', async () => {
    const image = await circle();
    const all = await predictions(b, image, '?topK=5');
    const only = await predictions(b, image, `?topK=5&model=${HEAD}`);
    expectSameScores(only, [all.find((p) => p.model === HEAD)!]);
    const moderation = await predictions(b, image, '?topK=5&model=moderation');
    expectSameScores(moderation, [all.find((p) => p.model === 'moderation')!]);

    const unknown = await predict(b, image, '?model=nope').expect(404);
    expect(errorCode(unknown)).toBe('model_not_found');
    const invalid = await predict(b, image, '?model=Not%20a%20name').expect(400);
    expect(invalid.body.error).toMatchObject({ code: expect.any(String) });
  });
});

describe('Open Inference Protocol (/v2)', () => {
  let png: Buffer;
  let pixels: number[];

  beforeAll(async () => {
    png = await testImages.cartoon();
    pixels = Array.from(await preprocessImage(png));
  });

  const infer = (path: string, body: unknown, key = keys.predict) =>
    b
      .http()
      .post(path)
      .set(withKey(key))
      .send(body as object);
  /** A request in the binary tensor data extension: the JSON header, then `data`. */
  const binaryRequest = (path: string, header: object, data: Buffer) => {
    const json = Buffer.from(JSON.stringify(header));
    return b
      .http()
      .post(path)
      .set(withKey(keys.predict))
      .set('content-type', 'application/octet-stream')
      .set('inference-header-content-length', String(json.length))
      .send(Buffer.concat([json, data]));
  };
  /** The same, answered in binary: the JSON header and the FP32 scores after it. */
  const binaryInfer = async (path: string, header: object, data: Buffer) => {
    const res = await binaryRequest(path, header, data)
      .buffer(true)
      .parse((stream, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200)
      .expect('content-type', 'application/octet-stream');
    const body = res.body as Buffer;
    const split = Number(res.headers['inference-header-content-length']);
    const scores = new Float32Array(new Uint8Array(body.subarray(split)).buffer);
    return { header: JSON.parse(body.subarray(0, split).toString()), scores };
  };
  const imageInput = (...images: Buffer[]) => ({
    name: 'image',
    datatype: 'BYTES',
    shape: [images.length],
    data: images.map((image) => image.toString('base64')),
  });
  const pixelInput = (shape = [1, INPUT_SIZE, INPUT_SIZE, 3]) => ({
    name: 'input',
    datatype: 'FP32',
    shape,
    data: pixels,
  });

  it('answers health and server metadata without credentials', async () => {
    expect((await b.http().get('/v2/health/live').expect(200)).body).toEqual({ live: true });
    expect((await b.http().get('/v2/health/ready').expect(200)).body).toEqual({ ready: true });
    const metadata = await b.http().get('/v2').expect(200);
    expect(metadata.body).toEqual({
      name: 'vireo',
      version: '1',
      extensions: ['binary_tensor_data'],
    });
  });

  it("describes a model's tensors, by production or by version", async () => {
    const metadata = await b.http().get('/v2/models/moderation').expect(200);
    expect(metadata.body).toEqual({
      name: 'moderation',
      versions: ['1'],
      // The backbone on ONNX Runtime (INFERENCE_RUNTIME=auto); heads are TF.js models.
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [-1, INPUT_SIZE, INPUT_SIZE, 3] },
        { name: 'image', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, MODERATION_LABELS.length] }],
    });
    await b.http().get('/v2/models/moderation/versions/1').expect(200, metadata.body);
    const head = await b.http().get(`/v2/models/${HEAD}/versions/2`).expect(200);
    expect(head.body).toMatchObject({
      versions: ['1', '2'],
      platform: 'tensorflowjs_tfjs',
      inputs: [
        { name: 'embedding', datatype: 'FP32', shape: [-1, EMBEDDING_SIZE] },
        { name: 'image', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, SHAPES.length] }],
    });
  });

  it('says whether a model or version is ready', async () => {
    for (const path of [
      '/v2/models/moderation/ready',
      '/v2/models/moderation/versions/1/ready',
      `/v2/models/${HEAD}/versions/2/ready`,
    ]) {
      const res = await b.http().get(path).expect(200);
      expect(res.body).toEqual({ name: expect.any(String), ready: true });
    }
  });

  it.each([
    ['/v2/models/nope', 'No model named nope'],
    ['/v2/models/nope/ready', 'No model named nope'],
    ['/v2/models/moderation/versions/9', 'Model moderation has no version 9'],
    ['/v2/models/moderation/versions/9/ready', 'Model moderation has no version 9'],
    ['/v2/models/moderation/versions/v1', 'Model moderation has no version "v1"'],
  ])('answers 404 { error } for %s', async (path, error) => {
    const res = await b.http().get(path).expect(404);
    expect(res.body).toEqual({ error });
  });

  it('infers on BYTES images: one row per image, the scores of /v1/predict', async () => {
    const jpeg = await testImages.jpeg(64, 48, '#3366cc');
    const res = await infer('/v2/models/moderation/infer', {
      id: 'request-1',
      inputs: [imageInput(png, jpeg)],
    }).expect(200);
    expect(res.body).toMatchObject({
      model_name: 'moderation',
      model_version: '1',
      id: 'request-1',
    });
    const [output] = res.body.outputs;
    expect(output).toMatchObject({ name: 'scores', datatype: 'FP32', shape: [2, 5] });
    const labels = MODERATION_LABELS.length;
    for (const [row, image] of [png, jpeg].entries()) {
      const scores = output.data.slice(row * labels, (row + 1) * labels) as number[];
      expect(sum(scores)).toBeCloseTo(1, 5);
      const [moderation] = await predictions(b, image, '?topK=5');
      MODERATION_LABELS.forEach((label, i) =>
        expect(scores[i]).toBeCloseTo(scoresOf(moderation)[label], 5),
      );
    }
  });

  it('infers on an FP32 pixel tensor, flat or nested, as on the encoded image', async () => {
    const fromImage = await infer('/v2/models/moderation/versions/1/infer', {
      inputs: [imageInput(png)],
    }).expect(200);
    const flat = await infer('/v2/models/moderation/infer', { inputs: [pixelInput()] }).expect(200);
    expect(flat.body.id).toBe(flat.headers['x-request-id']);
    const rows = Array.from({ length: INPUT_SIZE }, (_, y) =>
      Array.from({ length: INPUT_SIZE }, (_, x) => {
        const at = (y * INPUT_SIZE + x) * 3;
        return pixels.slice(at, at + 3);
      }),
    );
    const nested = await infer('/v2/models/moderation/infer', {
      inputs: [{ ...pixelInput(), data: [rows] }],
    }).expect(200);
    for (const res of [flat, nested]) {
      res.body.outputs[0].data.forEach((score: number, i: number) =>
        expect(score).toBeCloseTo(fromImage.body.outputs[0].data[i], 5),
      );
    }
  });

  it("infers on a head's FP32 embedding: the scores /v1/predict gives", async () => {
    const circle = await testImages.shape('circle', 9);
    const { embedding } = await b.app.get(ModelRuntime).embedAndModerate(circle);
    const res = await infer(`/v2/models/${HEAD}/infer`, {
      inputs: [
        { name: 'embedding', datatype: 'FP32', shape: [1, EMBEDDING_SIZE], data: [...embedding] },
      ],
    }).expect(200);
    expect(res.body).toMatchObject({ model_name: HEAD, model_version: '1' });
    expect(res.body.outputs[0].shape).toEqual([1, SHAPES.length]);
    const head = (await predictions(b, circle, '?topK=5')).find((p) => p.model === HEAD)!;
    SHAPES.forEach((label, i) =>
      expect(res.body.outputs[0].data[i]).toBeCloseTo(scoresOf(head)[label], 5),
    );
  });

  it('refuses a tensor of another shape or datatype with 400 naming the expected shape', async () => {
    const expected = `[-1, ${INPUT_SIZE}, ${INPUT_SIZE}, 3]`;
    const cases = [
      { inputs: [pixelInput([1, INPUT_SIZE, INPUT_SIZE, 4])] },
      { inputs: [pixelInput([INPUT_SIZE, INPUT_SIZE, 3])] },
      { inputs: [{ ...pixelInput(), datatype: 'INT32' }] },
      { inputs: [{ ...pixelInput(), data: pixels.slice(1) }] },
    ];
    for (const body of cases) {
      const res = await infer('/v2/models/moderation/infer', body).expect(400);
      expect(Object.keys(res.body)).toEqual(['error']);
      expect(res.body.error).toContain(expected);
    }
    const malformed = await infer('/v2/models/moderation/infer', { inputs: 'x' }).expect(400);
    expect(malformed.body.error).toMatch(/"inputs" must hold exactly one input/);
  });

  it('takes JSON tensors past MAX_JSON_BYTES up to MAX_TENSOR_BYTES (413 { error } above)', async () => {
    const two = {
      inputs: [{ ...pixelInput([2, INPUT_SIZE, INPUT_SIZE, 3]), data: [pixels, pixels] }],
    };
    expect(JSON.stringify(two).length).toBeGreaterThan(4 * 1024 * 1024);
    const res = await infer('/v2/models/moderation/infer', two).expect(200);
    expect(res.body.outputs[0].shape).toEqual([2, MODERATION_LABELS.length]);

    const three = { inputs: [{ ...two.inputs[0], shape: [3, INPUT_SIZE, INPUT_SIZE, 3] }] };
    three.inputs[0].data = [pixels, pixels, pixels];
    const tooLarge = await infer('/v2/models/moderation/infer', three).expect(413);
    expect(tooLarge.body).toEqual({ error: expect.any(String) });
    // Other JSON routes keep MAX_JSON_BYTES (1 MiB by default).
    const key = await a
      .http()
      .post('/v1/keys')
      .set(asAdmin)
      .send({ name: 'x'.repeat(2 * 1024 * 1024), scopes: ['predict'] });
    expect(key.status).toBe(413);
  });

  it('takes and gives binary tensor data (Inference-Header-Content-Length)', async () => {
    const json = await infer('/v2/models/moderation/infer', { inputs: [pixelInput()] }).expect(200);
    const tensor = Float32Array.from(pixels);
    const { scores, header } = await binaryInfer(
      '/v2/models/moderation/infer',
      {
        inputs: [
          { ...pixelInput(), data: undefined, parameters: { binary_data_size: tensor.byteLength } },
        ],
        outputs: [{ name: 'scores', parameters: { binary_data: true } }],
      },
      Buffer.from(tensor.buffer),
    );

    expect(header.outputs).toEqual([
      {
        name: 'scores',
        datatype: 'FP32',
        shape: [1, MODERATION_LABELS.length],
        parameters: { binary_data_size: MODERATION_LABELS.length * 4 },
      },
    ]);
    scores.forEach((score, i) => expect(score).toBeCloseTo(json.body.outputs[0].data[i], 5));

    // BYTES elements as raw image files, each after its 4-byte length; JSON scores back.
    const length = Buffer.alloc(4);
    length.writeUInt32LE(png.length);
    const images = Buffer.concat([length, png, length, png]);
    const res = await binaryRequest(
      '/v2/models/moderation/infer',
      {
        inputs: [
          {
            name: 'image',
            datatype: 'BYTES',
            shape: [2],
            parameters: { binary_data_size: images.length },
          },
        ],
      },
      images,
    ).expect(200);
    expect(res.body.outputs[0].shape).toEqual([2, MODERATION_LABELS.length]);
    res.body.outputs[0].data
      .slice(0, MODERATION_LABELS.length)
      .forEach((score: number, i: number) => expect(score).toBeCloseTo(scores[i], 5));
  });

  it('refuses FP32 values that are no finite 32-bit float, and malformed binary requests', async () => {
    const huge = [...pixels];
    huge[7] = 1e308;
    const json = await infer('/v2/models/moderation/infer', {
      inputs: [{ ...pixelInput(), data: huge }],
    }).expect(400);
    expect(json.body).toEqual({
      error: expect.stringContaining('Element 7 of input is not a finite FP32'),
    });

    const tensor = Float32Array.from(pixels);
    tensor[3] = NaN;
    const header = {
      inputs: [
        { ...pixelInput(), data: undefined, parameters: { binary_data_size: tensor.byteLength } },
      ],
    };
    const nan = await binaryRequest(
      '/v2/models/moderation/infer',
      header,
      Buffer.from(tensor.buffer),
    ).expect(400);
    expect(nan.body).toEqual({ error: expect.stringContaining('Element 3 of input') });

    const short = await binaryRequest(
      '/v2/models/moderation/infer',
      header,
      Buffer.alloc(8),
    ).expect(400);
    expect(short.body.error).toContain('binary_data_size');
    const noHeader = await b
      .http()
      .post('/v2/models/moderation/infer')
      .set(withKey(keys.predict))
      .set('content-type', 'application/octet-stream')
      .send(Buffer.alloc(16))
      .expect(400);
    expect(noHeader.body.error).toContain('Inference-Header-Content-Length');
  });

  it('refuses BYTES that are no image with 415, unknown models and versions with 404', async () => {
    const garbage = await infer('/v2/models/moderation/infer', {
      inputs: [imageInput(Buffer.from('no image'))],
    }).expect(415);
    expect(garbage.body).toEqual({ error: expect.stringContaining('not a supported image') });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect');
    const refused = await infer('/v2/models/moderation/infer', {
      inputs: [imageInput(png, svg)],
    }).expect(415);
    expect(refused.body).toEqual({ error: expect.stringContaining('not a supported image') });
    expect(refused.body.error).not.toMatch(/glib|xml/i);
    const body = { inputs: [imageInput(png)] };
    const unknown = await infer('/v2/models/nope/infer', body).expect(404);
    expect(unknown.body).toEqual({ error: 'No model named nope' });
    const version = await infer('/v2/models/moderation/versions/3/infer', body).expect(404);
    expect(version.body).toEqual({ error: 'Model moderation has no version 3' });
  });

  it('needs a credential with the predict scope to infer', async () => {
    const body = { inputs: [imageInput(png)] };
    const anonymous = await b.http().post('/v2/models/moderation/infer').send(body).expect(401);
    expect(anonymous.body).toEqual({ error: expect.any(String) });
    const readOnly = await infer('/v2/models/moderation/infer', body, keys.readOnly).expect(403);
    expect(readOnly.body).toEqual({ error: expect.any(String) });
  });
});
