import { DynamicModule, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { Client } from 'pg';
import { AppConfig } from '../../src/config';
import { ReadinessRegistry } from '../../src/modules/health/readiness.registry';
import {
  ApiKeyRepository,
  AuditLogRepository,
  BatchRunRepository,
  DuplicateRecordError,
  InvalidCursorError,
  EmbeddingRepository,
  ImageRecord,
  ImageRepository,
  LabelRepository,
  ModelRepository,
  NewImage,
  PersistenceModule,
  PredictionRepository,
  RecordNotFoundError,
  SessionRepository,
  UserRepository,
  webhookMessageId,
} from '../../src/modules/persistence';
import { PrismaAccountErasureRepository } from '../../src/modules/persistence/adapters/prisma-account-erasure.repository';
import { PrismaApiKeyRepository } from '../../src/modules/persistence/adapters/prisma-api-key.repository';
import { PrismaAuditLogRepository } from '../../src/modules/persistence/adapters/prisma-audit-log.repository';
import { PrismaBatchRunRepository } from '../../src/modules/persistence/adapters/prisma-batch-run.repository';
import { PrismaEmbeddingRepository } from '../../src/modules/persistence/adapters/prisma-embedding.repository';
import { PrismaImageRepository } from '../../src/modules/persistence/adapters/prisma-image.repository';
import { PrismaLabelRepository } from '../../src/modules/persistence/adapters/prisma-label.repository';
import { PrismaModelRepository } from '../../src/modules/persistence/adapters/prisma-model.repository';
import { PrismaPredictionRepository } from '../../src/modules/persistence/adapters/prisma-prediction.repository';
import { PrismaSessionRepository } from '../../src/modules/persistence/adapters/prisma-session.repository';
import { PrismaUserRepository } from '../../src/modules/persistence/adapters/prisma-user.repository';
import { PrismaWebhookRepository } from '../../src/modules/persistence/adapters/prisma-webhook.repository';
import { DatabaseClient } from '../../src/modules/persistence/database/database-client';
import { LastAdminError } from '../../src/modules/persistence/domain/account-erasure';
import {
  DATABASE_KINDS,
  DatabaseKind,
  throwawayDatabase,
  ThrowawayDatabase,
} from '../support/databases';
import { TEST_POSTGRES_URL } from '../support/services';

const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;
const sha = () => randomBytes(32).toString('hex');
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe.each(DATABASE_KINDS)('persistence repositories (%s)', (kind: DatabaseKind) => {
  let database: ThrowawayDatabase;
  let db: DatabaseClient;
  let images: ImageRepository;
  let predictions: PredictionRepository;
  let embeddings: EmbeddingRepository;
  let users: UserRepository;
  let apiKeys: ApiKeyRepository;
  let sessions: SessionRepository;
  let models: ModelRepository;
  let audit: AuditLogRepository;
  let labels: LabelRepository;
  let batchRuns: BatchRunRepository;

  beforeAll(async () => {
    database = await throwawayDatabase(kind);
    db = await DatabaseClient.open(database.config);
    images = new PrismaImageRepository(db);
    predictions = new PrismaPredictionRepository(db);
    embeddings = new PrismaEmbeddingRepository(db);
    users = new PrismaUserRepository(db);
    apiKeys = new PrismaApiKeyRepository(db);
    sessions = new PrismaSessionRepository(db);
    models = new PrismaModelRepository(db);
    audit = new PrismaAuditLogRepository(db);
    labels = new PrismaLabelRepository(db);
    batchRuns = new PrismaBatchRunRepository(db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const newOwner = async () => (await users.create({ email: `${unique('u')}@example.com` })).id;
  const newImage = (
    ownerId: string,
    extra: Partial<Parameters<ImageRepository['create']>[0]> = {},
  ) => images.create({ ownerId, storageKey: unique('originals/x'), ...extra });
  const newModelVersion = async () => {
    const model = await models.createModel({ name: unique('model'), task: 'classification' });
    return models.createVersion(model.name, {
      artifactKey: unique('models/a'),
      labels: ['cat', 'dog'],
    });
  };

  describe('ImageRepository', () => {
    it('creates a pending image and finds it by id, for its owner only', async () => {
      const owner = await newOwner();
      const before = Date.now();
      const image = await newImage(owner, { contentType: 'image/png', sizeBytes: 3_000_000_000 });

      expect(image).toMatchObject({
        ownerId: owner,
        status: 'pending',
        sha256: null,
        sizeBytes: 3_000_000_000,
      });
      expect(Math.abs(image.createdAt.getTime() - before)).toBeLessThan(5_000);
      expect(await images.findById(image.id)).toEqual(image);
      expect(await images.findByIdForOwner(image.id, owner)).toEqual(image);
      expect(await images.findByIdForOwner(image.id, await newOwner())).toBeNull();
      expect(await images.findById('not-a-uuid')).toBeNull();
      expect(await images.findById(randomUUID())).toBeNull();
    });

    it('takes a caller-chosen id', async () => {
      const id = randomUUID();
      expect((await newImage(await newOwner(), { id })).id).toBe(id);
    });

    it('creates an already uploaded image (a direct upload) with its upload time', async () => {
      const image = await newImage(await newOwner(), { status: 'uploaded', sha256: sha() });
      expect(image).toMatchObject({ status: 'uploaded', uploadedAt: expect.any(Date) });
    });

    it('keeps sha256 unique per owner, but not across owners or while unknown', async () => {
      const [owner, other] = [await newOwner(), await newOwner()];
      const digest = sha();
      await newImage(owner);
      await newImage(owner);
      const first = await newImage(owner, { sha256: digest });
      await newImage(other, { sha256: digest });

      const duplicate = newImage(owner, { sha256: digest });
      await expect(duplicate).rejects.toBeInstanceOf(DuplicateRecordError);
      await expect(duplicate).rejects.toMatchObject({ entity: 'image' });
      expect(await images.findBySha256ForOwner(owner, digest)).toEqual(first);
      expect(await images.findBySha256ForOwner(await newOwner(), digest)).toBeNull();
    });

    it('settles concurrent direct uploads each on its own: new, duplicate, or its own error', async () => {
      const owner = await newOwner();
      const upload = (sha256: string, extra: Partial<NewImage> = {}) =>
        images.createUnlessDuplicate({
          ownerId: owner,
          storageKey: unique('originals/x'),
          status: 'uploaded',
          sha256,
          ...extra,
        });
      const [known, fresh, twice, valid] = [sha(), sha(), sha(), sha()];
      const stored = await upload(known);
      // Issued together, so they share one insert statement (group commit).
      const [created, again, firstOfTwo, secondOfTwo] = await Promise.allSettled([
        upload(fresh, { label: 'cat' }),
        upload(known),
        upload(twice),
        upload(twice),
      ]);
      expect(created).toMatchObject({
        status: 'fulfilled',
        value: { duplicate: false, image: { sha256: fresh, label: 'cat', status: 'uploaded' } },
      });
      expect(again).toMatchObject({
        status: 'fulfilled',
        value: { duplicate: true, image: { id: stored.image.id } },
      });
      const pair = [firstOfTwo, secondOfTwo].map((outcome) => {
        if (outcome.status !== 'fulfilled') throw outcome.reason;
        return outcome.value;
      });
      expect(pair.map((outcome) => outcome.duplicate).sort()).toEqual([false, true]);
      expect(pair[0].image.id).toBe(pair[1].image.id);
      // PostgreSQL stores no NUL in jsonb: that row fails, and only that row.
      const [refused, accepted] = await Promise.allSettled([
        upload(sha(), { metadata: { note: 'nul \u0000' } }),
        upload(valid),
      ]);
      expect(refused.status).toBe('rejected');
      expect(accepted).toMatchObject({ status: 'fulfilled', value: { duplicate: false } });
      const listed = await images.findForOwner(owner, { limit: 10 });
      expect(listed.items.map((image) => image.sha256).sort()).toEqual(
        [known, fresh, twice, valid].sort(),
      );
    });

    it('answers an upload written again under its own id with its row, not as its duplicate', async () => {
      // What a batch insert retried row by row after its statement committed meets.
      const owner = await newOwner();
      const upload: NewImage & { sha256: string } = {
        id: randomUUID(),
        ownerId: owner,
        storageKey: unique('originals/x'),
        status: 'uploaded',
        sha256: sha(),
      };
      const first = await images.createUnlessDuplicate(upload);
      await expect(images.createUnlessDuplicate(upload)).resolves.toEqual({
        image: first.image,
        duplicate: false,
      });
    });

    it('reports a digest collision on a transition as a duplicate', async () => {
      const owner = await newOwner();
      const digest = sha();
      await newImage(owner, { sha256: digest });
      const pending = await newImage(owner);
      await expect(
        images.transitionStatus(pending.id, 'pending', 'uploaded', { sha256: digest }),
      ).rejects.toBeInstanceOf(DuplicateRecordError);
      expect((await images.findById(pending.id))?.status).toBe('pending');
    });

    it('moves status only from the expected state, with the patch and timestamps', async () => {
      const image = await newImage(await newOwner());
      const digest = sha();

      const uploaded = await images.transitionStatus(image.id, 'pending', 'uploaded', {
        sha256: digest,
        sizeBytes: 1234,
        contentType: 'image/jpeg',
      });
      expect(uploaded).toMatchObject({ status: 'uploaded', sha256: digest, sizeBytes: 1234 });
      expect(uploaded?.uploadedAt).toBeInstanceOf(Date);
      expect(uploaded!.updatedAt.getTime()).toBeGreaterThanOrEqual(image.updatedAt.getTime());

      expect(await images.transitionStatus(image.id, 'pending', 'uploaded')).toBeNull();
      expect(await images.transitionStatus(randomUUID(), 'pending', 'uploaded')).toBeNull();
      expect(await images.transitionStatus('nope', 'pending', 'uploaded')).toBeNull();
      expect((await images.findById(image.id))?.status).toBe('uploaded');
    });

    it('lets exactly one of concurrent transitions from the same state win', async () => {
      const image = await newImage(await newOwner(), { status: 'uploaded' });
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          images.transitionStatus(image.id, 'uploaded', 'processing'),
        ),
      );
      expect(results.filter((result) => result !== null)).toHaveLength(1);
      expect((await images.findById(image.id))?.status).toBe('processing');
    });

    it('records a failure and clears it when a retry moves on', async () => {
      const image = await newImage(await newOwner(), { status: 'processing' });
      const failed = await images.transitionStatus(image.id, 'processing', 'failed', {
        failureCode: 'decode_failed',
        failureMessage: 'not an image',
      });
      expect(failed).toMatchObject({ status: 'failed', failureCode: 'decode_failed' });

      const retried = await images.transitionStatus(image.id, ['uploaded', 'failed'], 'processing');
      expect(retried).toMatchObject({
        status: 'processing',
        failureCode: null,
        failureMessage: null,
      });
      const processed = await images.transitionStatus(image.id, 'processing', 'processed', {
        width: 640,
        height: 480,
      });
      expect(processed).toMatchObject({ status: 'processed', width: 640, height: 480 });
      expect(processed?.processedAt).toBeInstanceOf(Date);
    });

    it('updates metadata, scoped to the owner when one is given', async () => {
      const owner = await newOwner();
      const image = await newImage(owner);
      const labeledAt = new Date('2026-01-02T03:04:05.678Z');

      expect(await images.update(image.id, { label: 'cat', labeledAt }, owner)).toMatchObject({
        label: 'cat',
        labeledAt,
      });
      expect(await images.update(image.id, { label: 'dog' }, await newOwner())).toBeNull();
      expect(
        await images.update(image.id, { label: null, derivativeKey: 'derived/1' }),
      ).toMatchObject({
        label: null,
        derivativeKey: 'derived/1',
      });
    });

    it('deletes an image with its predictions and embeddings, for its owner only', async () => {
      const owner = await newOwner();
      const image = await newImage(owner);
      const version = await newModelVersion();
      await predictions.saveForImage(image.id, [
        { modelVersionId: version.id, scores: [{ label: 'cat', score: 1 }], latencyMs: 1 },
      ]);
      await embeddings.upsert(image.id, 'backbone', new Float32Array([1, 2]));

      expect(await images.delete(image.id, await newOwner())).toBeNull();
      expect(await images.delete(image.id, owner)).toMatchObject({
        id: image.id,
        storageKey: image.storageKey,
      });
      expect(await images.delete(image.id)).toBeNull();
      expect(await predictions.listForImage(image.id)).toEqual([]);
      expect(await embeddings.get(image.id, 'backbone')).toBeNull();
    });

    describe('completing a presigned upload', () => {
      const LEASE_MS = 60_000;
      const finalKey = () => unique('originals/final');

      it('lets exactly one of concurrent completers claim it, the owner only, while pending', async () => {
        const owner = await newOwner();
        const image = await newImage(owner);
        for (let round = 0; round < 5; round++) {
          const claims = await Promise.all(
            Array.from({ length: 8 }, () => images.claimCompletion(image.id, owner, LEASE_MS)),
          );
          const won = claims.filter((claim) => claim !== null);
          expect(won).toHaveLength(1);
          expect(won[0]!.image).toMatchObject({ id: image.id, status: 'pending' });
          expect(await images.claimCompletion(image.id, owner, LEASE_MS)).toBeNull();
          await images.releaseCompletion(image.id, won[0]!.token);
        }
        expect(await images.claimCompletion(image.id, await newOwner(), LEASE_MS)).toBeNull();
        expect(await images.claimCompletion('nope', owner, LEASE_MS)).toBeNull();
        const uploaded = await newImage(owner, { status: 'uploaded' });
        expect(await images.claimCompletion(uploaded.id, owner, LEASE_MS)).toBeNull();
      });

      it('moves a claimed upload to uploaded once, with its sha256 and final key', async () => {
        const owner = await newOwner();
        const image = await newImage(owner);
        const claim = await images.claimCompletion(image.id, owner, LEASE_MS);
        const [digest, key] = [sha(), finalKey()];
        const done = await images.completeUpload(image.id, claim!.token, {
          sha256: digest,
          storageKey: key,
        });
        expect(done).toEqual({
          image: expect.objectContaining({
            id: image.id,
            status: 'uploaded',
            sha256: digest,
            storageKey: key,
            uploadedAt: expect.any(Date),
          }),
          duplicate: false,
        });
        expect(done!.image).not.toHaveProperty('completionToken');
        expect(await images.findByStorageKey(key)).toMatchObject({ id: image.id });
        expect(
          await images.completeUpload(image.id, claim!.token, { sha256: sha(), storageKey: key }),
        ).toBeNull();
        expect(await images.claimCompletion(image.id, owner, LEASE_MS)).toBeNull();
      });

      it('replaces an upload of bytes the owner has by a record of that image, atomically', async () => {
        const owner = await newOwner();
        const digest = sha();
        const existing = await newImage(owner, { status: 'uploaded', sha256: digest });
        const uploads = await Promise.all([newImage(owner), newImage(owner), newImage(owner)]);
        const done = await Promise.all(
          uploads.map(async (upload) => {
            const claim = await images.claimCompletion(upload.id, owner, LEASE_MS);
            return images.completeUpload(upload.id, claim!.token, {
              sha256: digest,
              storageKey: finalKey(),
            });
          }),
        );
        for (const [i, result] of done.entries()) {
          expect(result).toEqual({
            image: expect.objectContaining({ id: existing.id }),
            duplicate: true,
          });
          expect(await images.findById(uploads[i].id)).toBeNull();
          expect(await images.findDuplicateUpload(uploads[i].id, owner)).toMatchObject({
            id: existing.id,
          });
          expect(await images.findDuplicateUpload(uploads[i].id, await newOwner())).toBeNull();
        }
        expect(await images.deleteDuplicateUploads(new Date(Date.now() - 60_000))).toBe(0);
        expect(
          await images.deleteDuplicateUploads(new Date(Date.now() + 1_000)),
        ).toBeGreaterThanOrEqual(3);
        expect(await images.findDuplicateUpload(uploads[0].id, owner)).toBeNull();
      });

      it('settles two uploads of the same new bytes as one image and one duplicate', async () => {
        const owner = await newOwner();
        const digest = sha();
        const [first, second] = [await newImage(owner), await newImage(owner)];
        const claims = await Promise.all(
          [first, second].map((upload) => images.claimCompletion(upload.id, owner, LEASE_MS)),
        );
        const done = await Promise.all(
          [first, second].map((upload, i) =>
            images.completeUpload(upload.id, claims[i]!.token, {
              sha256: digest,
              storageKey: finalKey(),
            }),
          ),
        );
        const winner = done.find((result) => !result!.duplicate)!.image;
        expect(done.filter((result) => result!.duplicate)).toEqual([
          { image: expect.objectContaining({ id: winner.id }), duplicate: true },
        ]);
        expect(await images.findBySha256ForOwner(owner, digest)).toMatchObject({ id: winner.id });
      });

      it('lets a lapsed claim be taken over, after which the old one has lost', async () => {
        const owner = await newOwner();
        const image = await newImage(owner);
        const lapsed = await images.claimCompletion(image.id, owner, 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const current = await images.claimCompletion(image.id, owner, LEASE_MS);
        expect(current).not.toBeNull();
        const result = { sha256: sha(), storageKey: finalKey() };
        expect(await images.completeUpload(image.id, lapsed!.token, result)).toBeNull();
        expect(await images.abandonUpload(image.id, lapsed!.token)).toBe(false);
        await images.releaseCompletion(image.id, lapsed!.token);
        expect(await images.claimCompletion(image.id, owner, LEASE_MS)).toBeNull();
        expect(await images.abandonUpload(image.id, current!.token)).toBe(true);
        expect(await images.findById(image.id)).toBeNull();
      });

      it('answers a lost claim with null when the image was removed meanwhile', async () => {
        const owner = await newOwner();
        const image = await newImage(owner);
        const claim = await images.claimCompletion(image.id, owner, LEASE_MS);
        await images.delete(image.id, owner);
        expect(
          await images.completeUpload(image.id, claim!.token, {
            sha256: sha(),
            storageKey: finalKey(),
          }),
        ).toBeNull();
      });
    });

    it('finds images stuck in a status, oldest first', async () => {
      const owner = await newOwner();
      const stuck = await newImage(owner);
      await newImage(owner, { status: 'uploaded' });
      const found = await images.findStale('pending', new Date(Date.now() + 1_000), 10_000);
      expect(found.map((image) => image.id)).toContain(stuck.id);
      expect(found.every((image) => image.status === 'pending')).toBe(true);
      expect(await images.findStale('pending', minutesAgo(60), 10)).toEqual([]);
    });

    describe('listing', () => {
      let owner: string;
      let all: ImageRecord[];

      beforeAll(async () => {
        owner = await newOwner();
        await newImage(await newOwner());
        all = [];
        // Created in one burst, so several share a created_at millisecond: the id breaks ties.
        for (let i = 0; i < 7; i++)
          all.push(await newImage(owner, { status: i % 2 ? 'processed' : 'pending' }));
        all.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
      });

      const listAll = async (
        query: Omit<Parameters<ImageRepository['findForOwner']>[1], 'cursor'>,
      ) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await images.findForOwner(owner, { ...query, cursor });
          expect(page.items.length).toBeLessThanOrEqual(query.limit);
          seen.push(...page.items.map((image) => image.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return seen;
      };

      it('pages through every image of the owner, newest first, each once', async () => {
        expect(await listAll({ limit: 3 })).toEqual(all.map((image) => image.id));
        expect((await images.findForOwner(owner, { limit: 100 })).nextCursor).toBeNull();
      });

      it('filters by status', async () => {
        const processed = all
          .filter((image) => image.status === 'processed')
          .map((image) => image.id);
        expect(await listAll({ limit: 2, status: 'processed' })).toEqual(processed);
        expect(await listAll({ limit: 2, status: ['processed', 'pending'] })).toHaveLength(
          all.length,
        );
      });

      it('filters by creation time: from inclusive, to exclusive', async () => {
        const pivot = all[3]!.createdAt;
        const from = await listAll({ limit: 10, createdFrom: pivot });
        const to = await listAll({ limit: 10, createdTo: pivot });
        expect(from).toEqual(all.filter((i) => i.createdAt >= pivot).map((i) => i.id));
        expect(to).toEqual(all.filter((i) => i.createdAt < pivot).map((i) => i.id));
      });

      it('filters by the given label and by predicted label', async () => {
        const version = await newModelVersion();
        await images.update(all[1]!.id, { label: 'cat' });
        await predictions.saveForImage(all[2]!.id, [
          {
            modelVersionId: version.id,
            scores: [
              { label: 'dog', score: 0.9 },
              { label: 'cat', score: 0.1 },
            ],
            latencyMs: 3,
          },
        ]);
        expect(await listAll({ limit: 10, label: 'cat' })).toEqual([all[1]!.id]);
        expect(await listAll({ limit: 10, predictedLabel: 'dog' })).toEqual([all[2]!.id]);
        expect(await listAll({ limit: 10, predictedLabel: 'cat' })).toEqual([]);
      });

      it('rejects a cursor it did not give with a domain error (400 at the edge)', async () => {
        const attempt = images.findForOwner(owner, { limit: 5, cursor: 'garbage' });
        await expect(attempt).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(attempt).rejects.toMatchObject({ code: 'invalid_cursor' });
      });
    });
  });

  describe('PredictionRepository', () => {
    it("stores predictions highest score first and replaces a model version's earlier one", async () => {
      const image = await newImage(await newOwner());
      const [a, b] = [await newModelVersion(), await newModelVersion()];
      const saved = await predictions.saveForImage(image.id, [
        {
          modelVersionId: a.id,
          scores: [
            { label: 'cat', score: 0.2 },
            { label: 'dog', score: 0.8 },
          ],
          latencyMs: 12.5,
        },
        { modelVersionId: b.id, scores: [{ label: 'safe', score: 0.99 }], latencyMs: 4 },
      ]);
      expect(saved[0]).toMatchObject({
        imageId: image.id,
        modelName: a.modelName,
        modelVersion: 1,
        topLabel: 'dog',
        topScore: 0.8,
        latencyMs: 12.5,
        scores: [
          { label: 'dog', score: 0.8 },
          { label: 'cat', score: 0.2 },
        ],
      });

      await predictions.saveForImage(image.id, [
        { modelVersionId: a.id, scores: [{ label: 'cat', score: 0.7 }], latencyMs: 2 },
      ]);
      const listed = await predictions.listForImage(image.id);
      expect(listed).toHaveLength(2);
      expect(listed.find((p) => p.modelVersionId === a.id)).toMatchObject({
        topLabel: 'cat',
        topScore: 0.7,
      });
      expect(await predictions.listForImage('x')).toEqual([]);
    });
  });

  describe('WebhookRepository', () => {
    it('finds the image events of a window whose subscribed webhook has no succeeded delivery', async () => {
      const webhooks = new PrismaWebhookRepository(db);
      const owner = await newOwner();
      const hook = await webhooks.create({
        ownerId: owner,
        url: 'https://example.com/hook',
        events: ['image.processed'],
        secret: 'whsec_x',
      });
      const processed = () => newImage(owner, { status: 'processed' });
      const [delivered, failedOnce, undelivered] = [
        await processed(),
        await processed(),
        await processed(),
      ];
      const attempt = (imageId: string, succeeded: boolean) =>
        webhooks.recordDelivery({
          webhookId: hook.id,
          messageId: webhookMessageId(imageId, 'image.processed'),
          eventType: 'image.processed',
          attempt: 1,
          statusCode: succeeded ? 204 : 500,
          durationMs: 1,
          error: null,
          succeeded,
        });
      await attempt(delivered.id, true);
      await attempt(failedOnce.id, false);
      const window = [minutesAgo(5), new Date(Date.now() + 1000)] as const;

      // Processed long ago, changed just now (labelled, or its original removed by retention):
      // an old event, whatever its updated_at says.
      const touchedLater = await processed();
      await db.prisma.$executeRaw`
        UPDATE images SET processed_at = ${minutesAgo(120)} WHERE id = ${touchedLater.id}::uuid`;

      const found = await webhooks.findUnannounced('image.processed', ...window, 50);
      expect(found.map((image) => image.id).sort()).toEqual([failedOnce.id, undelivered.id].sort());
      // Nobody subscribed to these, and nothing happened outside the window.
      expect(await webhooks.findUnannounced('image.failed', ...window, 50)).toEqual([]);
      expect(await webhooks.findUnannounced('image.quarantined', ...window, 50)).toEqual([]);
      expect(
        await webhooks.findUnannounced('image.processed', minutesAgo(10), minutesAgo(5), 50),
      ).toEqual([]);
    });
  });

  describe('EmbeddingRepository', () => {
    it('stores a float32 vector exactly and replaces it on upsert', async () => {
      const image = await newImage(await newOwner());
      const vector = new Float32Array(1280).map((_, i) => Math.sin(i) * 1e3);
      await embeddings.upsert(image.id, 'mobilenet_v2', vector.subarray(0, 1280));
      expect((await embeddings.get(image.id, 'mobilenet_v2'))?.vector).toEqual(vector);

      await embeddings.upsert(image.id, 'mobilenet_v2', new Float32Array([0.5, -0.25]));
      expect((await embeddings.get(image.id, 'mobilenet_v2'))?.vector).toEqual(
        new Float32Array([0.5, -0.25]),
      );
      expect(await embeddings.get(image.id, 'other')).toBeNull();
    });
  });

  describe('UserRepository', () => {
    it('creates users with unique, case-insensitive emails', async () => {
      const email = `${unique('Mixed')}@Example.com`;
      const user = await users.create({ email, passwordHash: 'h', scopes: ['images:read'] });
      expect(user).toMatchObject({
        email: email.toLowerCase(),
        passwordHash: 'h',
        scopes: ['images:read'],
      });
      expect(await users.findByEmail(email.toUpperCase())).toEqual(user);
      expect(await users.findById(user.id)).toEqual(user);
      await expect(users.create({ email })).rejects.toBeInstanceOf(DuplicateRecordError);
    });

    it('creates a user once when replicas race on createIfAbsent', async () => {
      const email = `${unique('admin')}@example.com`;
      const created = await Promise.all(
        [1, 2, 3].map(() => users.createIfAbsent({ email, scopes: ['admin'] })),
      );
      expect(new Set(created.map((user) => user.id)).size).toBe(1);
    });

    it('tells whether anyone holds a scope', async () => {
      const scope = unique('scope');
      expect(await users.anyWithScope(scope)).toBe(false);
      await users.create({ email: `${unique('s')}@example.com`, scopes: ['x', scope] });
      expect(await users.anyWithScope(scope)).toBe(true);
    });

    it('deletes a user with their keys, sessions and images', async () => {
      const owner = await newOwner();
      const image = await newImage(owner);
      const key = await apiKeys.create({
        ownerId: owner,
        name: 'k',
        prefix: unique('p'),
        secretHash: 'h',
        scopes: [],
      });
      const session = await sessions.create({
        userId: owner,
        refreshHash: 'r',
        expiresAt: new Date(Date.now() + 60_000),
      });

      expect(await users.delete(owner)).toBe(true);
      expect(await users.delete(owner)).toBe(false);
      expect(await images.findById(image.id)).toBeNull();
      expect(await apiKeys.findById(key.id)).toBeNull();
      expect(await sessions.findById(session.id)).toBeNull();
    });
  });

  describe('ApiKeyRepository', () => {
    const newKey = (ownerId: string, extra = {}) =>
      apiKeys.create({
        ownerId,
        name: 'ci',
        prefix: unique('p'),
        secretHash: 'hash',
        scopes: ['predict'],
        ...extra,
      });

    it('creates keys with unique prefixes and finds them by prefix', async () => {
      const owner = await newOwner();
      const expiresAt = new Date('2030-01-01T00:00:00.000Z');
      const key = await newKey(owner, { rateLimits: { uploads: 60 }, expiresAt });
      expect(key).toMatchObject({
        ownerId: owner,
        scopes: ['predict'],
        rateLimits: { uploads: 60 },
        expiresAt,
        revokedAt: null,
      });
      expect(await apiKeys.findByPrefix(key.prefix)).toEqual(key);
      expect(await apiKeys.findById(key.id)).toEqual(key);
      await expect(newKey(owner, { prefix: key.prefix })).rejects.toBeInstanceOf(
        DuplicateRecordError,
      );
      expect(
        await apiKeys.createIfAbsent({
          ownerId: owner,
          name: 'again',
          prefix: key.prefix,
          secretHash: 'x',
          scopes: [],
        }),
      ).toBeNull();
      expect(
        await apiKeys.createIfAbsent({
          ownerId: owner,
          name: 'new',
          prefix: unique('p'),
          secretHash: 'x',
          scopes: [],
          rateLimits: null,
        }),
      ).toMatchObject({ name: 'new', rateLimits: null });
    });

    it("lists an owner's keys newest first", async () => {
      const owner = await newOwner();
      const first = await newKey(owner);
      const second = await newKey(owner);
      await newKey(await newOwner());
      const listed = await apiKeys.listForOwner(owner);
      expect(listed.map((key) => key.id).sort()).toEqual([first.id, second.id].sort());
      expect(listed[0]!.createdAt.getTime()).toBeGreaterThanOrEqual(listed[1]!.createdAt.getTime());
    });

    it('revokes once, and only for the owner when one is given', async () => {
      const owner = await newOwner();
      const key = await newKey(owner);
      expect(await apiKeys.revoke(key.id, await newOwner())).toBe(false);
      expect(await apiKeys.revoke(key.id, owner)).toBe(true);
      expect(await apiKeys.revoke(key.id)).toBe(false);
      expect((await apiKeys.findByPrefix(key.prefix))?.revokedAt).toBeInstanceOf(Date);
    });

    it('records last use at most once a minute', async () => {
      const key = await newKey(await newOwner());
      const first = new Date('2030-01-01T00:00:00.000Z');
      await apiKeys.touchLastUsed(key.id, first);
      await apiKeys.touchLastUsed(key.id, new Date(first.getTime() + 30_000));
      expect((await apiKeys.findById(key.id))?.lastUsedAt).toEqual(first);
      const later = new Date(first.getTime() + 61_000);
      await apiKeys.touchLastUsed(key.id, later);
      expect((await apiKeys.findById(key.id))?.lastUsedAt).toEqual(later);
    });
  });

  describe('SessionRepository', () => {
    const newSession = async (expiresAt = new Date(Date.now() + 3_600_000)) =>
      sessions.create({ userId: await newOwner(), refreshHash: 'r0', expiresAt, ip: '10.0.0.1' });

    it('rotates the refresh hash once, even when asked twice at the same time', async () => {
      const session = await newSession();
      const expiresAt = new Date(Date.now() + 7_200_000);
      const results = await Promise.all(
        ['r1', 'r2'].map((next) => sessions.rotate(session.id, 'r0', next, expiresAt)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const rotated = await sessions.findById(session.id);
      expect(['r1', 'r2']).toContain(rotated?.refreshHash);
      expect(rotated?.expiresAt).toEqual(expiresAt);
      expect(await sessions.rotate(session.id, 'r0', 'r3', expiresAt)).toBe(false);
    });

    it('does not rotate an expired or revoked session', async () => {
      const expired = await newSession(minutesAgo(1));
      expect(await sessions.rotate(expired.id, 'r0', 'r1', new Date(Date.now() + 60_000))).toBe(
        false,
      );
      const revoked = await newSession();
      expect(await sessions.revoke(revoked.id)).toBe(true);
      expect(await sessions.revoke(revoked.id)).toBe(false);
      expect(await sessions.rotate(revoked.id, 'r0', 'r1', new Date(Date.now() + 60_000))).toBe(
        false,
      );
    });

    it('revokes every live session of a user', async () => {
      const user = await newOwner();
      const expiresAt = new Date(Date.now() + 60_000);
      const [a] = await Promise.all(
        [1, 2].map(() => sessions.create({ userId: user, refreshHash: 'h', expiresAt })),
      );
      await sessions.revoke(a!.id);
      expect(await sessions.revokeAllForUser(user)).toBe(1);
      expect(await sessions.revokeAllForUser(user)).toBe(0);
    });
  });

  describe('ModelRepository', () => {
    it('creates models with unique names', async () => {
      const model = await models.createModel({
        name: unique('moderation'),
        task: 'moderation',
        description: 'NSFW',
      });
      expect(await models.findModel(model.name)).toEqual(model);
      expect((await models.listModels()).map((m) => m.name)).toContain(model.name);
      await expect(models.createModel({ name: model.name, task: 'x' })).rejects.toBeInstanceOf(
        DuplicateRecordError,
      );
      expect(await models.findModel(unique('none'))).toBeNull();
    });

    it('numbers versions 1, 2, ... even when created concurrently', async () => {
      const { name } = await models.createModel({ name: unique('m'), task: 'classification' });
      const created = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          models.createVersion(name, { artifactKey: `a/${i}`, metrics: { accuracy: i / 10 } }),
        ),
      );
      expect(created.map((v) => v.version).sort()).toEqual([1, 2, 3, 4, 5]);
      expect(created.every((v) => v.status === 'staged' && v.modelName === name)).toBe(true);
      expect((await models.listVersions(name)).map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
      expect(await models.findVersion(name, 3)).toMatchObject({
        version: 3,
        metrics: { accuracy: expect.any(Number) },
      });
      await expect(
        models.createVersion(unique('none'), { artifactKey: 'k' }),
      ).rejects.toBeInstanceOf(RecordNotFoundError);
    });

    it('promotes one version to production, archiving the previous one in the same step', async () => {
      const { name } = await models.createModel({ name: unique('m'), task: 'classification' });
      const v1 = await models.createVersion(name, { artifactKey: 'a/1' });
      const v2 = await models.createVersion(name, { artifactKey: 'a/2', labels: ['a', 'b'] });

      expect(await models.promote(name, 1)).toMatchObject({
        promoted: { id: v1.id, status: 'production' },
        archived: null,
      });
      const second = await models.promote(name, 2);
      expect(second.promoted).toMatchObject({
        id: v2.id,
        status: 'production',
        labels: ['a', 'b'],
      });
      expect(second.promoted.promotedAt).toBeInstanceOf(Date);
      expect(second.archived).toMatchObject({ id: v1.id, status: 'archived' });
      expect(await models.findProduction(name)).toMatchObject({ id: v2.id });
      expect((await models.listProduction()).filter((v) => v.modelName === name)).toHaveLength(1);

      expect(await models.promote(name, 2)).toMatchObject({
        promoted: { id: v2.id },
        archived: null,
      });
      expect(await models.promote(name, 1)).toMatchObject({
        promoted: { id: v1.id, archivedAt: null },
        archived: { id: v2.id },
      });
      await expect(models.promote(name, 9)).rejects.toBeInstanceOf(RecordNotFoundError);
      await expect(models.promote(unique('none'), 1)).rejects.toBeInstanceOf(RecordNotFoundError);
    });

    it('keeps exactly one production version when promotions race', async () => {
      const { name } = await models.createModel({ name: unique('m'), task: 'classification' });
      for (let i = 0; i < 4; i++) await models.createVersion(name, { artifactKey: `a/${i}` });
      await Promise.all([1, 2, 3, 4].map((version) => models.promote(name, version)));
      const versions = await models.listVersions(name);
      expect(versions.filter((v) => v.status === 'production')).toHaveLength(1);
      expect(versions.filter((v) => v.status === 'archived')).toHaveLength(3);
    });

    it("sets a version's metrics", async () => {
      const version = await newModelVersion();
      expect(
        await models.setMetrics(version.id, { f1: 0.9, perClass: { cat: 0.8 } }),
      ).toMatchObject({
        metrics: { f1: 0.9, perClass: { cat: 0.8 } },
      });
      expect(await models.findVersionById(version.id)).toMatchObject({ metrics: { f1: 0.9 } });
      expect(await models.setMetrics(randomUUID(), {})).toBeNull();
    });
  });

  describe('LabelRepository', () => {
    it('counts the labelled images of some labels, with when the last one was labelled', async () => {
      const owner = await newOwner();
      const [cat, dog, other] = [unique('cat'), unique('dog'), unique('other')];
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await newImage(owner)).id);
      expect(await labels.summarize([cat, dog])).toEqual({
        examplesPerLabel: {},
        lastLabeledAt: null,
      });
      await labels.setLabels([
        { imageId: ids[0], label: cat },
        { imageId: ids[1], label: cat },
        { imageId: ids[3], label: other },
      ]);
      const before = new Date();
      await labels.setLabel(ids[2], dog);
      const summary = await labels.summarize([cat, dog]);
      expect(summary.examplesPerLabel).toEqual({ [cat]: 2, [dog]: 1 });
      expect(summary.lastLabeledAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());
      // Every label, when none is named.
      expect((await labels.summarize([])).examplesPerLabel).toMatchObject({ [other]: 1 });
    });

    it('labels the same images from concurrent requests in opposite orders without deadlock', async () => {
      const owner = await newOwner();
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await newImage(owner)).id);
      // Each request's first label covers the images the other request's second label does.
      const halves = (order: string[], first: string, second: string) =>
        order.map((imageId, i) => ({ imageId, label: i < order.length / 2 ? first : second }));
      for (let pair = 0; pair < 20; pair++) {
        const forward = halves(ids, `a${pair}`, `b${pair}`);
        const backward = halves([...ids].reverse(), `c${pair}`, `d${pair}`);
        const found = await Promise.all([
          labels.setLabels(forward, owner),
          labels.setLabels(backward, owner),
        ]);
        expect(found.map((set) => set.size)).toEqual([6, 6]);
      }
    });
  });

  describe('BatchRunRepository', () => {
    const newRun = () => batchRuns.create({ job: unique('job'), options: {} });

    it('counts the starts of a run, and of each chunk since its last checkpoint', async () => {
      const run = await newRun();
      expect(run.starts).toBe(0);
      await batchRuns.markRunning(run.id);
      expect((await batchRuns.markRunning(run.id))!.starts).toBe(2);
      await batchRuns.planChunks(run.id, [{ from: 0 }, { from: 10 }], 20);
      const lease = (index: number, lease: string) =>
        batchRuns.leaseChunk(run.id, index, lease, 'w:1');
      expect((await lease(1, 'lease-a'))!.startsSinceCheckpoint).toBe(1);
      expect((await lease(1, 'lease-b'))!.startsSinceCheckpoint).toBe(2);
      expect((await lease(0, 'lease-c'))!.startsSinceCheckpoint).toBe(1);
      expect(await batchRuns.checkpoint(run.id, 1, 'lease-b', { cursor: 5, done: 5 })).toBe(true);
      expect((await lease(1, 'lease-d'))!).toMatchObject({ startsSinceCheckpoint: 1, cursor: 5 });
      expect(await batchRuns.checkpoint(run.id, 1, 'lease-d', { done: 5, completed: true })).toBe(
        true,
      );
      expect(await lease(1, 'lease-e')).toBeNull();
    });

    it('hands each unfinished run to one of concurrent claimers, and again only once it is due', async () => {
      const [queued, running, finished] = [await newRun(), await newRun(), await newRun()];
      await batchRuns.markRunning(running.id);
      await batchRuns.markRunning(finished.id);
      await batchRuns.complete(finished.id, null);
      const created = new Set([queued.id, running.id, finished.id]);
      const ours = (runs: { id: string }[]) =>
        runs.map((r) => r.id).filter((id) => created.has(id));

      // Not before they are old enough.
      expect(
        ours(await batchRuns.claimUnfinished(new Date(queued.createdAt.getTime()), 1000)),
      ).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const due = new Date();
      const claims = await Promise.all([1, 2, 3].map(() => batchRuns.claimUnfinished(due, 1000)));
      const claimed = claims.flatMap(ours);
      expect(claimed.sort()).toEqual([queued.id, running.id].sort());
      // Stamped at or after `due`: not handed out again for it, but for a later one.
      expect(ours(await batchRuns.claimUnfinished(due, 1000))).toEqual([]);
      const later = ours(await batchRuns.claimUnfinished(new Date(Date.now() + 60_000), 1000));
      expect(later.sort()).toEqual([queued.id, running.id].sort());
    });

    it('keeps one queued or running run per job and dedup key; a finished one leaves room', async () => {
      const job = unique('job');
      const start = (dedupKey: string, triggerKey?: string) =>
        batchRuns.create({ job, options: {}, dedupKey, triggerKey });
      const concurrent = await Promise.all([1, 2, 3, 4].map(() => start('pets')));
      expect(new Set(concurrent.map((run) => run.id)).size).toBe(1);
      const [first] = concurrent;
      expect((await start('pets', unique('trigger'))).id).toBe(first.id);
      expect((await start('dogs')).id).not.toBe(first.id);
      await batchRuns.markRunning(first.id);
      expect((await start('pets')).id).toBe(first.id);
      await batchRuns.complete(first.id, null);
      const next = await start('pets');
      expect(next).toMatchObject({ status: 'queued' });
      expect(next.id).not.toBe(first.id);
    });
  });

  describe('AuditLogRepository', () => {
    it("appends entries and lists an owner's newest first", async () => {
      const owner = await newOwner();
      await audit.append({
        actorKind: 'user',
        actorId: owner,
        ownerId: owner,
        action: 'api_key.created',
        targetType: 'api_key',
        targetId: 'k1',
      });
      const last = await audit.append({
        actorKind: 'system',
        ownerId: owner,
        action: 'image.deleted',
        details: { reason: 'retention' },
        requestId: 'req-1',
      });
      expect(last).toMatchObject({
        actorKind: 'system',
        actorId: null,
        details: { reason: 'retention' },
        requestId: 'req-1',
      });
      const listed = await audit.listForOwner(owner, 10);
      expect(listed.map((entry) => entry.action)).toEqual(['image.deleted', 'api_key.created']);
      expect(await audit.listForOwner(owner, 1)).toHaveLength(1);
    });
  });

  describe('readiness', () => {
    it('answers a ping, and rejects when the check has already timed out', async () => {
      await expect(db.ping(AbortSignal.timeout(5_000))).resolves.toBeUndefined();
      const aborted = AbortSignal.abort(new Error('timed out'));
      await expect(db.ping(aborted)).rejects.toThrow('timed out');
    });
  });
});

async function sessionsOpenOn(url: string): Promise<number> {
  const client = new Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>(
      'SELECT count(*) FROM pg_stat_activity WHERE datname = $1',
      [new URL(url).pathname.slice(1)],
    );
    return Number(rows[0]!.count);
  } finally {
    await client.end();
  }
}

/** Admins only in this database, so the test knows who the admins are. */
describe.each(DATABASE_KINDS)('AccountErasureRepository (%s): the last admin', (kind) => {
  let database: ThrowawayDatabase;
  let db: DatabaseClient;
  let users: PrismaUserRepository;
  let erasures: PrismaAccountErasureRepository;

  beforeAll(async () => {
    database = await throwawayDatabase(kind);
    db = await DatabaseClient.open(database.config);
    users = new PrismaUserRepository(db);
    erasures = new PrismaAccountErasureRepository(db);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const newUser = async (scopes: string[]) =>
    (await users.create({ email: `${unique('u')}@example.com`, scopes })).id;

  it('never begins erasing the last admin, even when every admin is erased at once', async () => {
    const first = await newUser(['admin']);
    await expect(erasures.begin(first, 'self')).rejects.toBeInstanceOf(LastAdminError);
    // A user who is no admin is erased as ever.
    expect(await erasures.begin(await newUser(['images:read']), 'admin')).not.toBeNull();
    let standing = [first];
    for (let round = 0; round < 10; round++) {
      standing = [...standing, await newUser(['admin']), await newUser(['admin', 'predict'])];
      const outcomes = await Promise.allSettled(
        standing.map((id, i) => erasures.begin(id, i % 2 ? 'self' : 'admin')),
      );
      const refused = outcomes.flatMap((outcome, i) =>
        outcome.status === 'rejected' ? [[standing[i], outcome.reason]] : [],
      );
      expect(refused).toEqual([[expect.any(String), expect.any(LastAdminError)]]);
      standing = [refused[0]![0] as string];
    }
  });
});

describe.each(DATABASE_KINDS)('PersistenceModule (%s)', (kind: DatabaseKind) => {
  @Module({})
  class TestGlobalsModule {}

  /** What the app's config and health modules provide to every module. */
  const testGlobals = (config: AppConfig): DynamicModule => ({
    module: TestGlobalsModule,
    global: true,
    providers: [ReadinessRegistry, { provide: AppConfig, useValue: config }],
    exports: [ReadinessRegistry, AppConfig],
  });

  let database: ThrowawayDatabase;

  beforeEach(async () => {
    database = await throwawayDatabase(kind);
  });
  afterEach(() => database.drop());

  it('migrates on boot, serves the repositories, registers the database check and closes', async () => {
    const config = AppConfig.fromEnv(
      database.config.kind === 'postgres'
        ? { DATABASE_URL: database.config.url }
        : { DATA_DIR: dirname(database.config.dir) },
    );
    expect(config.database).toEqual(
      database.config.kind === 'postgres'
        ? expect.objectContaining({ url: database.config.url })
        : database.config,
    );
    const moduleRef = await Test.createTestingModule({
      imports: [testGlobals(config), PersistenceModule],
    }).compile();
    const app = await moduleRef.init();

    const owner = await app.get(UserRepository).create({ email: `${unique('m')}@example.com` });
    const image = await app
      .get(ImageRepository)
      .create({ ownerId: owner.id, storageKey: unique('k') });
    expect(await app.get(ImageRepository).findById(image.id)).toEqual(image);
    const check = new Map(app.get(ReadinessRegistry).entries()).get('database')!;
    await expect(check({ signal: AbortSignal.timeout(5_000) })).resolves.toBeUndefined();

    await app.close();
    await expect(check({ signal: AbortSignal.timeout(5_000) })).rejects.toThrow(/closed/);
    if (database.config.kind === 'postgres') {
      expect(await sessionsOpenOn(database.config.url)).toBe(0);
    }
  });
});
