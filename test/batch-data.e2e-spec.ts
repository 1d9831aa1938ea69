import { randomUUID } from 'node:crypto';
import { Entry, fromBuffer, ZipFile } from 'yauzl';
import { DatabaseClient } from '../src/modules/persistence/database/database-client';
import { ObjectStorage } from '../src/modules/storage/object-storage';
import { bootListeningApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { sha256 } from './support/hashing';
import { testImages } from './support/images';
import { createTestDatabase } from './support/postgres';
import { startS3rver } from './support/s3rver';

// The first upload loads the model (seconds on a loaded 2-core machine).
jest.setTimeout(180_000);

const ADMIN_KEY = 'vir_batchdataadmin_0123456789abcdefghijABCDEFGH';
const PASSWORD = 'p'.repeat(16);
const today = () => new Date().toISOString().slice(0, 10);

interface Owner {
  id: string;
  email: string;
  headers: Record<string, string>;
}

function client(app: TestApp) {
  const base = app.config.http.publicUrl;
  const admin = { 'x-api-key': ADMIN_KEY };
  const api = async (path: string, init: RequestInit & { as?: Record<string, string> } = {}) => {
    const { as = admin, ...rest } = init;
    const res = await fetch(`${base}${path}`, {
      ...rest,
      headers: {
        ...as,
        ...(typeof rest.body === 'string' ? { 'content-type': 'application/json' } : {}),
      },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    const body = type.includes('json') ? JSON.parse(bytes.toString('utf8')) : bytes;
    return { status: res.status, headers: res.headers, body };
  };
  return {
    api,
    async newOwner(): Promise<Owner> {
      const email = `bd-${randomUUID()}@example.com`;
      const user = await api('/v1/admin/users', {
        method: 'POST',
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(user.status).toBe(201);
      const key = await api('/v1/keys', {
        method: 'POST',
        body: JSON.stringify({
          name: 'bd',
          scopes: ['images:write', 'images:read'],
          ownerId: user.body.id,
        }),
      });
      return { id: user.body.id, email, headers: { 'x-api-key': key.body.key } };
    },
    async upload(owner: Owner, bytes: Buffer, label?: string) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)]), 'photo.jpg');
      if (label) form.append('label', label);
      const res = await fetch(`${base}/v1/images`, {
        method: 'POST',
        body: form,
        headers: owner.headers,
      });
      expect(res.status).toBe(202);
      return (await res.json()) as { id: string };
    },
    async settled(owner: Owner, id: string) {
      return eventually(
        async () => {
          const res = await api(`/v1/images/${id}`, { as: owner.headers });
          return ['processed', 'failed'].includes(res.body.status) ? res.body : undefined;
        },
        60_000,
        100,
      );
    },
    /** Starts a batch run and waits for it to end. */
    async runJob(job: string, options: object) {
      const started = await api(`/v1/admin/batch/${job}`, {
        method: 'POST',
        body: JSON.stringify(options),
      });
      expect(started.status).toBe(202);
      return this.runEnded(started.body.id);
    },
    async runEnded(id: string) {
      return eventually(
        async () => {
          const run = await api(`/v1/admin/batch/runs/${id}`);
          return ['completed', 'failed'].includes(run.body.status) ? run.body : undefined;
        },
        60_000,
        100,
      );
    },
  };
}

async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    fromBuffer(bytes, { lazyEntries: true }, (error, opened) =>
      error ? reject(error) : resolve(opened),
    ),
  );
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: Entry) => {
      zip.openReadStream(entry, async (error, stream) => {
        if (error) return reject(error);
        files.set(entry.fileName, Buffer.concat(await stream.toArray()));
        zip.readEntry();
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return files;
}

/** Every row of every table whose text mentions `needle` (an id or an email), by table. */
async function rowsMentioning(app: TestApp, needle: string): Promise<Record<string, number>> {
  const { prisma } = app.app.get(DatabaseClient);
  const tables = await prisma.$queryRaw<{ table_name: string }[]>`
    SELECT table_name::text FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  const found: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [{ n }] = await prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT COUNT(*)::int AS n FROM "${table_name}" t WHERE t::text ILIKE $1`,
      `%${needle}%`,
    );
    if (n > 0) found[table_name] = n;
  }
  return found;
}

const backends: [string, () => Promise<{ app: TestApp; close: () => Promise<void> }>][] = [
  [
    'the embedded defaults (PGlite, local disk)',
    async () => {
      const app = await bootListeningApp({
        ADMIN_API_KEY: ADMIN_KEY,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        RETENTION_ORIGINALS_DAYS: '30',
      });
      return { app, close: app.close };
    },
  ],
  [
    'PostgreSQL and S3 (s3rver)',
    async () => {
      const db = await createTestDatabase();
      const s3 = await startS3rver();
      const app = await bootListeningApp({
        ADMIN_API_KEY: ADMIN_KEY,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        RETENTION_ORIGINALS_DAYS: '30',
        DATABASE_URL: db.url,
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY: s3.accessKey,
        S3_SECRET_KEY: s3.secretKey,
        S3_BUCKET: `bd-${Date.now()}`,
      });
      return {
        app,
        close: async () => {
          await app.close();
          await Promise.all([db.drop(), s3.stop()]);
        },
      };
    },
  ],
];

describe.each(backends)('batch data on %s', (_name, boot) => {
  let h: { app: TestApp; close: () => Promise<void> };
  let c: ReturnType<typeof client>;

  beforeAll(async () => {
    h = await boot();
    c = client(h.app);
  });
  afterAll(() => h?.close());

  it('builds the daily report from the live stats: same counts, rebuilt without doubling; JSON, CSV and an SVG chart', async () => {
    const owner = await c.newOwner();
    const other = await c.newOwner();
    for (const colour of ['#112233', '#445566']) {
      await c.settled(owner, (await c.upload(owner, await testImages.jpeg(40, 30, colour))).id);
    }
    await c.settled(other, (await c.upload(other, await testImages.png(30, 30))).id);
    const failing = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]);
    await c.settled(owner, (await c.upload(owner, failing)).id);

    for (let i = 0; i < 2; i++) {
      expect(await c.runJob('daily-report', { day: today() })).toMatchObject({
        status: 'completed',
      });
    }
    const day = `from=${today()}&to=${today()}`;
    const stats = (await c.api(`/v1/stats?${day}`, { as: owner.headers })).body.days[0];
    const mine = await c.api(`/v1/reports?${day}`, { as: owner.headers });
    expect(mine.status).toBe(200);
    expect(mine.body.rows).toHaveLength(1);
    const [row] = mine.body.rows;
    expect(row).toMatchObject({
      day: today(),
      scope: 'owner',
      ownerId: owner.id,
      uploads: stats.uploads,
      processed: stats.processed,
      failed: stats.failed,
      labels: stats.labels,
      quarantined: stats.quarantined,
      latencyMs: stats.latencyMs,
    });
    expect(row.uploads).toBe(3);
    expect(row.failed.total).toBe(1);
    expect(row.storedBytes).toBeGreaterThan(0);
    expect(row.modelVersions).toEqual([{ model: 'moderation', version: 1, predictions: 2 }]);

    const all = await c.api(`/v1/reports?${day}`);
    const global = all.body.rows.find((r: { scope: string }) => r.scope === 'global');
    const everyone = (await c.api(`/v1/stats?${day}&all=true`)).body.days[0];
    expect(global).toMatchObject({
      ownerId: null,
      uploads: everyone.uploads,
      processed: everyone.processed,
    });

    const csv = await c.api(`/v1/reports?${day}&format=csv`, { as: owner.headers });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.body.toString('utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^day,scope,ownerId,uploads,processed,failed,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`${today()},owner,${owner.id},3,2,1,`);

    const chart = await c.api(`/v1/reports/chart?${day}`, { as: owner.headers });
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const svg = chart.body.toString('utf8');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('p95 latency');

    for (const query of [
      'from=2026-02-30&to=2026-03-01',
      'from=2026-03-02&to=2026-03-01',
      'from=yesterday',
    ]) {
      const bad = await c.api(`/v1/reports?${query}`, { as: owner.headers });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toEqual(expect.any(String));
    }
    expect(
      (
        await c.api('/v1/admin/batch/daily-report', {
          method: 'POST',
          body: '{"day":"2026-13-01"}',
        })
      ).status,
    ).toBe(400);
  });

  it('retention: a dry run counts and deletes nothing; the run deletes past-policy originals, which then answer 410', async () => {
    const owner = await c.newOwner();
    const image = await c.settled(
      owner,
      (await c.upload(owner, await testImages.jpeg(20, 20, '#778899'))).id,
    );
    const { prisma } = h.app.app.get(DatabaseClient);
    const longAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
    await prisma.image.update({
      where: { id: image.id },
      data: { uploadedAt: longAgo, createdAt: longAgo },
    });
    const storage = h.app.app.get(ObjectStorage);
    const row = await prisma.image.findUniqueOrThrow({ where: { id: image.id } });

    const dry = await c.runJob('retention', { dryRun: true });
    expect(dry.result).toMatchObject({ dryRun: true, originals: 1 });
    expect(await storage.stat(row.storageKey)).not.toBeNull();

    const run = await c.runJob('retention', {});
    expect(run.result).toMatchObject({ dryRun: false, originals: 1 });
    expect(await storage.stat(row.storageKey)).toBeNull();
    const after = await c.api(`/v1/images/${image.id}`, { as: owner.headers });
    expect(after.body.originalDeletedAt).toEqual(expect.any(String));
    expect(after.body.predictions.length).toBeGreaterThan(0);
    const content = await c.api(`/v1/images/${image.id}/content?inline=1`, { as: owner.headers });
    expect(content.status).toBe(410);
    expect(content.body.error.code).toBe('original_deleted');
  });

  it('exports a user as a streamed ZIP, then erases them: no row and no object of theirs is left', async () => {
    const owner = await c.newOwner();
    const bytes = await testImages.jpeg(32, 24, '#abcdef');
    const image = await c.settled(owner, (await c.upload(owner, bytes, 'sky')).id);
    // A presigned upload that never completed: its bytes sit in staging.
    const link = await c.api('/v1/uploads', {
      method: 'POST',
      as: owner.headers,
      body: JSON.stringify({ contentType: 'image/jpeg', size: bytes.length }),
    });
    expect(link.status).toBe(201);
    await fetch(link.body.uploadUrl, {
      method: 'PUT',
      headers: link.body.headers,
      body: new Uint8Array(bytes),
    });
    const hook = await c.api('/v1/webhooks', {
      method: 'POST',
      as: owner.headers,
      body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['image.processed'] }),
    });
    expect(hook.status).toBe(201);
    await c.runJob('daily-report', { day: today() });

    const exported = await c.api('/v1/me/export', { as: owner.headers });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toBe('application/zip');
    const files = await unzip(exported.body);
    expect(sha256(files.get(`originals/${image.id}`)!)).toBe(sha256(bytes));
    const imageJson = JSON.parse(files.get(`images/${image.id}.json`)!.toString('utf8'));
    expect(imageJson).toMatchObject({ id: image.id, label: 'sky' });
    expect(imageJson.predictions.length).toBeGreaterThan(0);
    expect(JSON.parse(files.get('labels.json')!.toString('utf8'))).toEqual([
      expect.objectContaining({ imageId: image.id, label: 'sky' }),
    ]);
    const hooks = JSON.parse(files.get('webhooks.json')!.toString('utf8'));
    expect(hooks).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:9/hook' })]);
    expect(hooks[0].secret).toBeUndefined();

    // A key alone may not erase the account; a login session may.
    expect((await c.api('/v1/me', { method: 'DELETE', as: owner.headers })).body.error.code).toBe(
      'session_required',
    );
    const login = await c.api('/v1/auth/login', {
      method: 'POST',
      as: {},
      body: JSON.stringify({ email: owner.email, password: PASSWORD }),
    });
    const session = { authorization: `Bearer ${login.body.accessToken}` };
    const [first, retry] = await Promise.all([
      c.api('/v1/me', { method: 'DELETE', as: session }),
      c.api(`/v1/admin/users/${owner.id}`, { method: 'DELETE' }),
    ]);
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.body.erasureId).toBe(first.body.erasureId);
    expect(await c.runEnded(first.body.runId)).toMatchObject({ status: 'completed' });
    expect(await c.runEnded(retry.body.runId)).toMatchObject({ status: 'completed' });

    expect(await rowsMentioning(h.app, owner.id)).toEqual({});
    expect(await rowsMentioning(h.app, owner.email)).toEqual({});
    const storage = h.app.app.get(ObjectStorage);
    for (const prefix of ['originals/', 'derivatives/', 'staging/']) {
      const left = (await storage.list(prefix)).filter((o) => o.key.includes(owner.id));
      expect(left).toEqual([]);
    }
    const { prisma } = h.app.app.get(DatabaseClient);
    const record = await prisma.accountErasure.findUniqueOrThrow({
      where: { id: first.body.erasureId },
    });
    expect(record).toMatchObject({ userId: null, requestedBy: expect.any(String), images: 2 });
    expect(record.completedAt).not.toBeNull();
    expect((await c.api('/v1/images', { as: owner.headers })).status).toBe(401);
    expect((await c.api(`/v1/admin/users/${owner.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});
