import { BACKBONE_NAME } from '../src/modules/model';
import { DatabaseClient } from '../src/modules/persistence/database/database-client';
import { adminClient } from './support/admin-client';
import { bootListeningApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { SHAPES, Shape, testImages } from './support/images';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';

const ADMIN_KEY = 'vir_trainadmin_0123456789abcdefghijABCDEFGHIJ';
const PER_CLASS = 40;
const MODEL = 'shapes';

/** Labels, a classifier trained from them, the promotion gate: on PostgreSQL and Redis. */
describe('Training a classifier from labels', () => {
  let db: TestDatabase;
  const redis = testRedis();
  let app: TestApp;
  let c: ReturnType<typeof adminClient>;
  let owner: { id: string; headers: Record<string, string> };
  const images: { id: string; shape: Shape }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await bootListeningApp({
      ADMIN_API_KEY: ADMIN_KEY,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      MODEL_PRELOAD: 'true',
    });
    c = adminClient(app.config.http.publicUrl, ADMIN_KEY);
    owner = await c.newUser(['images:write', 'images:read', 'predict']);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all([db?.drop(), deleteRedisKeys(redis)]);
  });

  const upload = async (bytes: Buffer, label?: string) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'shape.png');
    if (label) form.append('label', label);
    const res = await c.api('/v1/images', { method: 'POST', body: form, as: owner.headers });
    expect(res.status).toBe(202);
    return res.body.id as string;
  };

  it('takes labels one at a time and many at once, for the owner only', async () => {
    const id = await upload(await testImages.shape('circle', 500));
    const put = (imageId: string, body: unknown, as = owner.headers) =>
      c.api(`/v1/images/${imageId}/label`, { method: 'PUT', body: JSON.stringify(body), as });

    // Concurrent retries of one request agree.
    const answers = await Promise.all([1, 2, 3].map(() => put(id, { label: '  disc ' })));
    expect(answers.map((a) => [a.status, a.body.label])).toEqual([
      [200, 'disc'],
      [200, 'disc'],
      [200, 'disc'],
    ]);
    expect((await put(id, { label: null })).body.label).toBeNull();
    expect((await put(id, { label: ' ' })).body.error).toMatchObject({ code: 'invalid_label' });
    expect((await put(id, {})).status).toBe(400);
    const stranger = await c.newUser(['images:write']);
    const foreign = await put(id, { label: 'x' }, stranger.headers);
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'image_not_found']);
    // An admin may label anyone's image.
    expect((await put(id, { label: 'by-admin' }, { 'x-api-key': ADMIN_KEY })).status).toBe(200);

    const bulk = await c.api('/v1/labels', {
      method: 'POST',
      as: stranger.headers,
      body: JSON.stringify({
        items: [
          { imageId: id, label: 'theirs' },
          { imageId: '0190a000-0000-7000-8000-000000000000', label: 'a' },
        ],
      }),
    });
    expect(bulk.status).toBe(200);
    expect(
      bulk.body.items.map((item: { ok: boolean; error?: { code: string } }) => item.error?.code),
    ).toEqual(['image_not_found', 'image_not_found']);
    const mine = await c.api('/v1/labels', {
      method: 'POST',
      as: owner.headers,
      body: JSON.stringify({
        items: [
          { imageId: id, label: 'first' },
          { imageId: 'not-an-id', label: 'a' },
          { imageId: id, label: 'x'.repeat(201) },
          { imageId: id, label: 'last' },
        ],
      }),
    });
    expect(
      mine.body.items.map((item: { ok: boolean; error?: { code: string } }) => [
        item.ok,
        item.error?.code,
      ]),
    ).toEqual([
      [true, undefined],
      [false, 'image_not_found'],
      [false, 'invalid_label'],
      [true, undefined],
    ]);
    expect((await c.api(`/v1/images/${id}`, { as: owner.headers })).body.label).toBe('last');
    const empty = await c.api('/v1/labels', {
      method: 'POST',
      body: '{"items":[]}',
      as: owner.headers,
    });
    expect(empty.status).toBe(400);
    // Out of the training set below.
    await put(id, { label: null });
  }, 60_000);

  it('creates trainable classifiers, refusing duplicates, bad kinds and names with codes', async () => {
    const create = (body: unknown) =>
      c.api('/v1/models', { method: 'POST', body: JSON.stringify(body) });
    const created = await create({ name: MODEL, kind: 'classifier', labels: [...SHAPES] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: MODEL,
      kind: 'classifier',
      trainingLabels: [...SHAPES],
      production: null,
    });
    const codes = await Promise.all(
      [
        { name: MODEL, kind: 'classifier' },
        { name: 'other', kind: 'regressor' },
        { name: 'Bad Name', kind: 'classifier' },
        { name: 'dupes', kind: 'classifier', labels: ['a', 'a'] },
        { name: 'moderation', kind: 'classifier' },
      ].map(async (body) => {
        const res = await create(body);
        return [res.status, res.body.error?.code];
      }),
    );
    expect(codes).toEqual([
      [409, 'model_exists'],
      [400, 'invalid_model_kind'],
      [400, 'invalid_model_name'],
      [400, 'invalid_labels'],
      [409, 'model_exists'],
    ]);
    const user = await c.newUser(['predict']);
    const refused = await c.api('/v1/models', {
      method: 'POST',
      body: JSON.stringify({ name: 'mine', kind: 'classifier' }),
      as: user.headers,
    });
    expect(refused.status).toBe(403);
  });

  it('trains on labelled images, promotes a good head that /v1/predict then serves', async () => {
    for (const shape of SHAPES) {
      for (let variant = 0; variant < PER_CLASS; variant++) {
        images.push({ id: await upload(await testImages.shape(shape, variant), shape), shape });
      }
    }
    await c.processed(
      owner.headers,
      images.map((image) => image.id),
      180_000,
    );
    // Some embeddings missing (as after a backbone change): training computes them.
    const prisma = app.app.get(DatabaseClient).prisma;
    const dropped = images.slice(0, 12).map((image) => image.id);
    await prisma.embedding.deleteMany({ where: { imageId: { in: dropped } } });

    const started = await c.startBatch('train-classifier', { model: MODEL });
    const run = await c.finishedRun(started.id, 300_000);
    expect(run.error).toBeNull();
    expect(run.status).toBe('completed');
    expect(run.result).toMatchObject({
      model: MODEL,
      version: 1,
      status: 'production',
      promoted: true,
      examples: SHAPES.length * PER_CLASS,
      embeddingsComputed: dropped.length,
      productionAccuracy: null,
      backfillRunId: expect.any(String),
    });
    expect(run.result.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(
      await prisma.embedding.count({ where: { imageId: { in: dropped }, model: BACKBONE_NAME } }),
    ).toBe(dropped.length);

    const versions = await c.api(`/v1/models/${MODEL}/versions`);
    const [version] = versions.body.items;
    expect(version).toMatchObject({ version: 1, status: 'production', labels: [...SHAPES] });
    const metrics = version.metrics;
    expect(metrics.accuracy).toBe(run.result.accuracy);
    expect(metrics.examplesPerLabel).toEqual({
      circle: PER_CLASS,
      square: PER_CLASS,
      triangle: PER_CLASS,
    });
    expect(metrics.lossPerEpoch).toHaveLength(app.config.training.epochs);
    expect(metrics.lossPerEpoch.at(-1)).toBeLessThan(metrics.lossPerEpoch[0]);
    expect(Object.keys(metrics.perLabel)).toEqual([...SHAPES]);
    expect(metrics.perLabel.circle).toEqual({
      precision: expect.any(Number),
      recall: expect.any(Number),
      f1: expect.any(Number),
      support: 8,
    });
    const matrix: number[][] = metrics.confusionMatrix;
    expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(metrics.validationExamples);
    expect(metrics.gate).toMatchObject({ promote: true, code: 'promoted' });
    expect(metrics.durationMs).toBeGreaterThan(0);

    for (const shape of SHAPES) {
      const fresh = await testImages.shape(shape, 1000 + SHAPES.indexOf(shape));
      const top = await eventually(async () => {
        const res = await c.api('/v1/predict', {
          method: 'POST',
          body: new Uint8Array(fresh),
          headers: { 'content-type': 'image/png' },
          as: owner.headers,
        });
        const prediction = res.body.predictions?.find((p: { model: string }) => p.model === MODEL);
        return prediction?.labels[0].label as string | undefined;
      }, 30_000);
      expect(top).toBe(shape);
    }
  }, 600_000);

  it('keeps a head trained on shuffled labels staged, and says why', async () => {
    const shuffled = images.map((image, i) => ({
      imageId: image.id,
      label: SHAPES[(i * 7 + Math.floor(i / 3)) % SHAPES.length],
    }));
    const relabelled = await c.api('/v1/labels', {
      method: 'POST',
      body: JSON.stringify({ items: shuffled }),
      as: owner.headers,
    });
    expect(relabelled.body.items.every((item: { ok: boolean }) => item.ok)).toBe(true);

    const started = await c.startBatch('train-classifier', { model: MODEL });
    const run = await c.finishedRun(started.id, 300_000);
    expect(run.status).toBe('completed');
    expect(run.result).toMatchObject({
      version: 2,
      status: 'staged',
      promoted: false,
      backfillRunId: null,
    });
    expect(run.result.accuracy).toBeLessThan(0.8);
    expect(run.result.reason).toMatch(/below TRAIN_MIN_ACCURACY=0.8/);

    const versions = await c.api(`/v1/models/${MODEL}/versions`);
    expect(
      versions.body.items.map((v: { version: number; status: string }) => [v.version, v.status]),
    ).toEqual([
      [2, 'staged'],
      [1, 'production'],
    ]);
    expect(versions.body.items[0].metrics.gate).toMatchObject({
      promote: false,
      code: 'below_min_accuracy',
      reason: run.result.reason,
    });
    // Production was scored on the same validation examples.
    expect(versions.body.items[0].metrics.productionAccuracy).toEqual(expect.any(Number));
  }, 600_000);
});
