import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { ModelRegistry } from '../src/modules/model/model-registry';
import { BACKBONE_NAME } from '../src/modules/model/registry/bundled-model';
import { EMBEDDING_SIZE, initTfBackend } from '../src/modules/model/runtime';
import { EmbeddingRepository, ImageRepository } from '../src/modules/persistence';
import { JobQueue } from '../src/modules/queue/job-queue';
import { ImageReconciler } from '../src/modules/realtime/reconciler/image-reconciler';
import { ObjectStorage } from '../src/modules/storage/object-storage';
import { adminClient } from './support/admin-client';
import { bootListeningApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { testImages } from './support/images';
import { artifactFiles, denseHead } from './support/model-artifacts';
import { createTestDatabase } from './support/postgres';
import { deleteRedisKeys, testRedis } from './support/redis';
import { openEventStream, ServerSentEvent } from './support/sse';

const ADMIN_KEY = 'vir_realtimeadmin_0123456789abcdefghijABCDEFGHIJ';
const HEAD = 'shapes';
const HEAD_LABELS = ['circle', 'square', 'triangle'];
/** A JPEG signature in front of bytes that do not decode. */
const CORRUPT_JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);

interface Owner {
  id: string;
  headers: { 'x-api-key': string };
  /** A key of the same owner with the admin scope. */
  admin: { 'x-api-key': string };
}

interface ImageBody {
  id: string;
  status: string;
  quarantined: boolean;
  failureCode: string | null;
  failureMessage: string | null;
  predictions: { model: string; label: string; score: number }[];
}

function bootListening(env: Record<string, string>): Promise<TestApp> {
  return bootListeningApp({
    ADMIN_API_KEY: ADMIN_KEY,
    ...env,
  });
}

/** The platform's API for one booted app: the admin client, whose owners also hold an admin key. */
function client(app: TestApp) {
  const base = app.config.http.publicUrl;
  const admin = adminClient(base, ADMIN_KEY);
  const { api } = admin;

  return {
    base,
    api,
    async newOwner(): Promise<Owner> {
      const owner = await admin.newUser(['images:write', 'images:read']);
      return { ...owner, admin: { 'x-api-key': await admin.newKey(owner.id, ['admin']) } };
    },
    async upload(as: Owner, bytes: Buffer): Promise<ImageBody> {
      return (await admin.upload(as.headers, bytes)) as ImageBody;
    },
    async settled(as: Owner, id: string): Promise<ImageBody> {
      return eventually(
        async () => {
          const res = await api(`/v1/images/${id}`, { as: as.headers });
          return ['processed', 'failed'].includes(res.body.status)
            ? (res.body as ImageBody)
            : undefined;
        },
        30_000,
        50,
      );
    },
    events(as: Owner | Record<string, string>, id: string) {
      const headers = 'headers' in as ? as.headers : as;
      return openEventStream(`${base}/v1/images/${id}/events`, headers as Record<string, string>);
    },
    async todayStats(as: Owner, query = '') {
      const res = await api(`/v1/stats${query}`, { as: as.headers });
      expect(res.status).toBe(200);
      return res.body.days.at(-1);
    },
  };
}

/** A local webhook receiver: answers each request with the next status of `statuses` (then the last). */
async function startReceiver(statuses: number[]) {
  const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    received.push({ path: req.url ?? '', headers: req.headers, body });
    res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)];
    // A redirect the sender must not follow.
    if (res.statusCode >= 300 && res.statusCode < 400) res.setHeader('location', '/elsewhere');
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    statuses,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const kinds = (events: ServerSentEvent[]) =>
  events.map((e) =>
    e.event === 'status' ? `status:${(e.data as { status: string }).status}` : e.event,
  );

const backends: [string, () => Promise<{ app: TestApp; close: () => Promise<void> }>][] = [
  [
    'the embedded defaults (PGlite, in-process queue and events)',
    async () => {
      const app = await bootListening(ENV);
      return { app, close: app.close };
    },
  ],
  [
    'PostgreSQL and Redis (BullMQ, pub/sub)',
    async () => {
      const db = await createTestDatabase();
      const redis = testRedis();
      const app = await bootListening({
        ...ENV,
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        REDIS_PREFIX: redis.prefix,
      });
      return {
        app,
        close: async () => {
          await app.close();
          await Promise.all([db.drop(), deleteRedisKeys(redis)]);
        },
      };
    },
  ],
];

const ENV = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_ATTEMPTS: '2',
  SSE_HEARTBEAT_MS: '300',
  MODERATION_QUARANTINE: 'Porn:0.8,Hentai:0.8,Sexy:0.95',
};

describe.each(backends)('realtime pipeline on %s', (_name, boot) => {
  let h: { app: TestApp; close: () => Promise<void> };
  let c: ReturnType<typeof client>;
  let jobs: JobQueue;

  beforeAll(async () => {
    // The head is built here, on this thread's TF.js (as the server runs heads).
    await initTfBackend('cpu');
    h = await boot();
    c = client(h.app);
    jobs = h.app.app.get(JobQueue);
    // A second production model: a head on the backbone's embedding.
    const registry = h.app.app.get(ModelRegistry);
    await registry.addVersion(HEAD, {
      files: await artifactFiles(denseHead(EMBEDDING_SIZE, HEAD_LABELS.length), HEAD_LABELS),
    });
    await registry.promote(HEAD, 1);
  });
  afterAll(() => h?.close());

  it('processes an upload: thumbnail, one prediction per production model on one embedding, counted in the stats', async () => {
    const owner = await c.newOwner();
    const image = await c.settled(owner, (await c.upload(owner, await testImages.jpeg(64, 48))).id);
    expect(image).toMatchObject({ status: 'processed', quarantined: false, failureCode: null });
    expect(image.predictions.map((p) => p.model).sort()).toEqual(['moderation', HEAD]);

    const thumbnail = await fetch(`${c.base}/v1/images/${image.id}/thumbnail?inline=1`, {
      headers: owner.headers,
    });
    expect(thumbnail.status).toBe(200);
    const meta = await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 64, height: 48 });
    const embedding = await h.app.app.get(EmbeddingRepository).get(image.id, BACKBONE_NAME);
    expect(embedding?.vector.length).toBe(EMBEDDING_SIZE);

    const today = await c.todayStats(owner);
    const top = (model: string) => image.predictions.find((p) => p.model === model)!.label;
    expect(today).toMatchObject({
      day: new Date().toISOString().slice(0, 10),
      uploads: 1,
      processed: 1,
      failed: { total: 0, byCode: {} },
      quarantined: 0,
      labels: { moderation: { [top('moderation')]: 1 }, [HEAD]: { [top(HEAD)]: 1 } },
    });
    expect(today.latencyMs.p50).toBeGreaterThan(0);
    expect(today.latencyMs.p99).toBeGreaterThanOrEqual(today.latencyMs.p50);
  });

  it('streams an image from before processing: its state, then status and prediction events, then ends', async () => {
    const owner = await c.newOwner();
    await jobs.pause('process-image');
    let image: ImageBody;
    try {
      image = await c.upload(owner, await testImages.png(40, 40, '#204060'));
      const stream = await c.events(owner, image.id);
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const state = await stream.next((e) => e.event === 'state');
      expect(state.data).toMatchObject({ id: image.id, status: 'uploaded', predictions: [] });
      // The heartbeat: a comment line every SSE_HEARTBEAT_MS while nothing happens.
      await eventually(async () => (stream.comments > 0 ? true : undefined), 5_000);
      await jobs.resume('process-image');
      await stream.ended;
      expect(kinds(stream.events)).toEqual([
        'state',
        'status:processing',
        'prediction',
        'prediction',
        'status:processed',
      ]);
      const predicted = stream.events
        .filter((e) => e.event === 'prediction')
        .map((e) => (e.data as { model: string }).model);
      expect(predicted.sort()).toEqual(['moderation', HEAD]);
    } finally {
      await jobs.resume('process-image');
    }
  });

  it('streams the result at once to a client that connects after processing; another owner gets 404', async () => {
    const owner = await c.newOwner();
    const image = await c.settled(owner, (await c.upload(owner, await testImages.jpeg(30, 20))).id);
    const stream = await c.events(owner, image.id);
    await stream.ended;
    expect(kinds(stream.events)).toEqual(['state']);
    expect(stream.events[0].data).toMatchObject({ id: image.id, status: 'processed' });
    expect((stream.events[0].data as ImageBody).predictions).toHaveLength(2);

    const stranger = await c.newOwner();
    const foreign = await c.api(`/v1/images/${image.id}/events`, { as: stranger.headers });
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'image_not_found']);
  });

  it('ends a corrupt image failed with its code: on the resource, in the stream and in the stats', async () => {
    const owner = await c.newOwner();
    const uploaded = await c.upload(owner, CORRUPT_JPEG);
    const stream = await c.events(owner, uploaded.id);
    await stream.ended;
    const failed = stream.events.at(-1)!;
    expect(failed.data).toMatchObject({ status: 'failed', failureCode: 'undecodable_image' });
    const image = await c.settled(owner, uploaded.id);
    expect(image).toMatchObject({ status: 'failed', failureCode: 'undecodable_image' });
    expect(image.failureMessage).toEqual(expect.any(String));
    expect(await c.todayStats(owner)).toMatchObject({
      uploads: 1,
      processed: 0,
      failed: { total: 1, byCode: { undecodable_image: 1 } },
      latencyMs: { p50: null, p95: null, p99: null },
    });
  });

  it('delivers signed webhooks, retrying a 500 with the same webhook-id, and logs every attempt', async () => {
    const owner = await c.newOwner();
    const receiver = await startReceiver([500, 204]);
    try {
      const created = await c.api('/v1/webhooks', {
        method: 'POST',
        as: owner.headers,
        body: JSON.stringify({ url: receiver.url, events: ['image.processed', 'image.failed'] }),
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        url: receiver.url,
        events: ['image.processed', 'image.failed'],
      });
      expect(created.body.secret).toMatch(/^whsec_/);
      const listed = await c.api('/v1/webhooks', { as: owner.headers });
      expect(listed.body).toEqual([expect.not.objectContaining({ secret: expect.anything() })]);

      const image = await c.settled(
        owner,
        (await c.upload(owner, await testImages.jpeg(20, 20))).id,
      );
      await eventually(async () => (receiver.received.length >= 2 ? true : undefined), 15_000);
      const verifier = new Webhook(created.body.secret);
      const [first, second] = receiver.received.map(({ headers, body }) => ({
        headers,
        payload: verifier.verify(body, headers as Record<string, string>) as {
          type: string;
          timestamp: string;
          data: { image: ImageBody };
        },
      }));
      expect(first.payload).toEqual(second.payload);
      expect(first.headers['webhook-id']).toBe(second.headers['webhook-id']);
      expect(first.payload).toMatchObject({
        type: 'image.processed',
        data: { image: { id: image.id, status: 'processed' } },
      });
      expect(first.payload.data.image.predictions).toHaveLength(2);

      const deliveries = await eventually(async () => {
        const res = await c.api(`/v1/webhooks/${created.body.id}/deliveries`, {
          as: owner.headers,
        });
        return res.body.length === 2 ? res.body : undefined;
      });
      expect(deliveries).toMatchObject([
        { attempt: 2, statusCode: 204, succeeded: true, error: null, event: 'image.processed' },
        { attempt: 1, statusCode: 500, succeeded: false, event: 'image.processed' },
      ]);
      expect(deliveries[0].messageId).toBe(first.headers['webhook-id']);

      expect(
        (await c.api(`/v1/webhooks/${created.body.id}`, { method: 'DELETE', as: owner.headers }))
          .status,
      ).toBe(204);
      const gone = await c.api(`/v1/webhooks/${created.body.id}/deliveries`, { as: owner.headers });
      expect([gone.status, gone.body.error.code]).toEqual([404, 'webhook_not_found']);
    } finally {
      await receiver.close();
    }
  });

  it('lists a job that failed every attempt (a redirect, not followed) with its error and retries it (admin scope)', async () => {
    const owner = await c.newOwner();
    const receiver = await startReceiver([302]);
    try {
      const created = await c.api('/v1/webhooks', {
        method: 'POST',
        as: owner.headers,
        body: JSON.stringify({ url: receiver.url, events: ['image.failed'] }),
      });
      await c.settled(
        owner,
        (await c.upload(owner, Buffer.concat([CORRUPT_JPEG, Buffer.from(randomUUID())]))).id,
      );
      const failed = await eventually(async () => {
        const res = await c.api('/v1/admin/jobs?queue=deliver-webhook&state=failed');
        return res.body.items.find(
          (job: { payload: { webhookId: string } }) => job.payload.webhookId === created.body.id,
        );
      }, 15_000);
      expect(failed).toMatchObject({ queue: 'deliver-webhook', state: 'failed', attemptsMade: 2 });
      expect(failed.error).toMatch(/answered 302/);
      // Redirects are not followed: every attempt went to the webhook's own URL.
      expect(receiver.received.map((r) => r.path)).toEqual(['/hook', '/hook']);
      expect((await c.api('/v1/admin/jobs', { as: owner.headers })).status).toBe(403);

      receiver.statuses.splice(0, 1, 200);
      const retried = await c.api(`/v1/admin/jobs/deliver-webhook/${failed.id}/retry`, {
        method: 'POST',
      });
      expect([retried.status, retried.body]).toEqual([
        200,
        { id: failed.id, queue: 'deliver-webhook', retried: true },
      ]);
      const delivered = await eventually(async () => {
        const res = await c.api(`/v1/webhooks/${created.body.id}/deliveries`, {
          as: owner.headers,
        });
        return res.body.find((d: { succeeded: boolean }) => d.succeeded);
      }, 15_000);
      expect(delivered).toMatchObject({ statusCode: 200, attempt: 1, event: 'image.failed' });
      const again = await c.api(`/v1/admin/jobs/deliver-webhook/${failed.id}/retry`, {
        method: 'POST',
      });
      expect([again.status, again.body.error.code]).toEqual([404, 'job_not_found']);
    } finally {
      await receiver.close();
    }
  });

  it('the reconciler picks up an image left in processing (its worker died, its job is gone)', async () => {
    const owner = await c.newOwner();
    const images = h.app.app.get(ImageRepository);
    const id = randomUUID();
    const storageKey = `originals/${owner.id}/${id}`;
    await h.app.app
      .get(ObjectStorage)
      .put(storageKey, Readable.from([await testImages.jpeg(24, 24)]), {
        contentType: 'image/jpeg',
      });
    await images.create({
      id,
      ownerId: owner.id,
      storageKey,
      status: 'uploaded',
      contentType: 'image/jpeg',
    });
    await images.transitionStatus(id, 'uploaded', 'processing');

    const reconciler = h.app.app.get(ImageReconciler);
    const { requeued } = await reconciler.reconcile(
      Date.now() + h.app.config.reconcile.staleS * 1000 + 1000,
    );
    expect(requeued).toBeGreaterThanOrEqual(1);
    expect(await c.settled(owner, id)).toMatchObject({ status: 'processed' });
  });

  it('exports pipeline, webhook and SSE metrics', async () => {
    const owner = await c.newOwner();
    const receiver = await startReceiver([500, 200]);
    await c.api('/v1/webhooks', {
      method: 'POST',
      as: owner.headers,
      body: JSON.stringify({ url: receiver.url, events: ['image.processed'] }),
    });
    await c.settled(owner, (await c.upload(owner, await testImages.jpeg(22, 22, '#778899'))).id);
    const corrupt = Buffer.concat([CORRUPT_JPEG, Buffer.from('metrics')]);
    await c.settled(owner, (await c.upload(owner, corrupt)).id);
    const delivered = /vireo_webhook_deliveries_total\{[^}]*outcome="delivered"[^}]*\} (\d+)/;
    // The second attempt is counted once its answer is in.
    const text = await eventually(async () => {
      const body = await (await fetch(`${c.base}/metrics`)).text();
      return delivered.test(body) ? body : undefined;
    }, 15_000);
    await receiver.close();
    const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? NaN);
    for (const stage of ['queue_wait', 'decode', 'inference', 'persist', 'end_to_end']) {
      expect({
        stage,
        count:
          value(
            new RegExp(`vireo_pipeline_stage_seconds_count\\{[^}]*stage="${stage}"[^}]*\\} (\\d+)`),
          ) > 0,
      }).toEqual({ stage, count: true });
    }
    expect(
      value(/vireo_pipeline_jobs_total\{[^}]*outcome="processed"[^}]*\} (\d+)/),
    ).toBeGreaterThan(0);
    expect(value(/vireo_pipeline_jobs_total\{[^}]*outcome="failed"[^}]*\} (\d+)/)).toBeGreaterThan(
      0,
    );
    expect(
      value(/vireo_webhook_deliveries_total\{[^}]*outcome="delivered"[^}]*\} (\d+)/),
    ).toBeGreaterThan(0);
    expect(
      value(/vireo_webhook_deliveries_total\{[^}]*outcome="rejected"[^}]*\} (\d+)/),
    ).toBeGreaterThan(0);
    expect(value(/vireo_sse_clients\{[^}]*\} (\d+)/)).toBe(0);
  });

  it('answers stats for a range of days; every owner only for an admin', async () => {
    const owner = await c.newOwner();
    const week = await c.api('/v1/stats?from=2026-01-01&to=2026-01-07', { as: owner.headers });
    expect(week.status).toBe(200);
    expect(week.body).toMatchObject({ from: '2026-01-01', to: '2026-01-07', scope: 'owner' });
    expect(week.body.days.map((d: { day: string }) => d.day)).toEqual(
      ['01', '02', '03', '04', '05', '06', '07'].map((d) => `2026-01-${d}`),
    );
    expect(week.body.total).toMatchObject({ uploads: 0, processed: 0 });

    const mine = await c.api('/v1/stats?all=true', { as: owner.headers });
    expect([mine.status, mine.body.error.code]).toEqual([403, 'insufficient_scope']);
    const all = await c.api('/v1/stats?all=true');
    expect(all.body.scope).toBe('all');
    // Every owner of this suite so far: more than any one of them.
    expect(all.body.total.uploads).toBeGreaterThan(1);

    for (const query of [
      'from=2026-02-30',
      'from=2026-03-02&to=2026-03-01',
      'from=2020-01-01&to=2026-01-01',
      'to=tomorrow',
    ]) {
      const res = await c.api(`/v1/stats?${query}`, { as: owner.headers });
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
    }
  });
});

describe('moderation quarantine (embedded defaults)', () => {
  let app: TestApp;
  let c: ReturnType<typeof client>;

  beforeAll(async () => {
    // Every score is at or above 0: every image is quarantined.
    app = await bootListening({
      MODERATION_QUARANTINE: 'Drawing:0,Hentai:0,Neutral:0,Porn:0,Sexy:0',
      WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    c = client(app);
  });
  afterAll(() => app?.close());

  it('quarantines per MODERATION_QUARANTINE: 451 for a non-admin on content, thumbnail and signed links, 200 for an admin', async () => {
    const owner = await c.newOwner();
    const receiver = await startReceiver([200]);
    try {
      const webhook = await c.api('/v1/webhooks', {
        method: 'POST',
        as: owner.headers,
        body: JSON.stringify({ url: receiver.url, events: ['image.quarantined'] }),
      });
      const bytes = await testImages.jpeg(32, 32);
      const image = await c.settled(owner, (await c.upload(owner, bytes)).id);
      expect(image).toMatchObject({ status: 'processed', quarantined: true });

      for (const path of ['content', 'thumbnail', 'content?inline=1', 'thumbnail?inline=1']) {
        const res = await c.api(`/v1/images/${image.id}/${path}`, {
          as: owner.headers,
          redirect: 'manual',
        });
        expect({ path, status: res.status, code: res.body.error?.code }).toEqual({
          path,
          status: 451,
          code: 'image_quarantined',
        });
        const asAdmin = await fetch(`${c.base}/v1/images/${image.id}/${path}`, {
          headers: owner.admin,
          redirect: 'manual',
        });
        expect({ path, status: asAdmin.status }).toEqual({ path, status: 200 });
      }
      const original = await fetch(`${c.base}/v1/images/${image.id}/content`, {
        headers: owner.admin,
      });
      expect(Buffer.from(await original.arrayBuffer())).toEqual(bytes);
      // A link handed out before the image was quarantined.
      const signed = await app.app
        .get(ObjectStorage)
        .signedGetUrl(`originals/${owner.id}/${image.id}`, { expiresInS: 60 });
      expect((await fetch(signed.url)).status).toBe(451);

      expect(await c.todayStats(owner)).toMatchObject({ processed: 1, quarantined: 1 });
      await eventually(async () => (receiver.received.length > 0 ? true : undefined), 15_000);
      const { headers, body } = receiver.received[0];
      const payload = new Webhook(webhook.body.secret).verify(
        body,
        headers as Record<string, string>,
      );
      expect(payload).toMatchObject({
        type: 'image.quarantined',
        data: { image: { id: image.id, quarantined: true } },
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('the webhook SSRF guard (embedded defaults, WEBHOOK_ALLOW_PRIVATE off)', () => {
  let app: TestApp;
  let c: ReturnType<typeof client>;

  beforeAll(async () => {
    app = await bootListening({});
    c = client(app);
  });
  afterAll(() => app?.close());

  it('refuses webhook URLs to loopback, private, link-local or metadata addresses, and anything but http(s), with 422', async () => {
    const owner = await c.newOwner();
    const cases: [string, string][] = [
      ['http://127.0.0.1:8080/hook', 'webhook_url_forbidden'],
      ['http://localhost/hook', 'webhook_url_forbidden'],
      ['http://10.1.2.3/hook', 'webhook_url_forbidden'],
      ['http://192.168.0.10/hook', 'webhook_url_forbidden'],
      ['http://169.254.169.254/latest/meta-data', 'webhook_url_forbidden'],
      ['http://[::1]/hook', 'webhook_url_forbidden'],
      ['http://[::ffff:127.0.0.1]/hook', 'webhook_url_forbidden'],
      ['ftp://example.com/hook', 'webhook_url_invalid'],
      ['file:///etc/passwd', 'webhook_url_invalid'],
      ['not a url', 'webhook_url_invalid'],
    ];
    for (const [url, code] of cases) {
      const res = await c.api('/v1/webhooks', {
        method: 'POST',
        as: owner.headers,
        body: JSON.stringify({ url, events: ['image.processed'] }),
      });
      expect({ url, status: res.status, code: res.body.error?.code }).toEqual({
        url,
        status: 422,
        code,
      });
    }
    const badEvent = await c.api('/v1/webhooks', {
      method: 'POST',
      as: owner.headers,
      body: JSON.stringify({ url: 'https://example.com/x', events: ['image.deleted'] }),
    });
    expect(badEvent.status).toBe(400);
    expect((await c.api('/v1/webhooks', { as: owner.headers })).body).toEqual([]);
  });
});
