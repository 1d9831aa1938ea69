import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { gunzipSync } from 'node:zlib';
import { createApp } from '../src/app.factory';
import { AppConfig } from '../src/config';
import { MinioStorage } from '../src/modules/storage/minio.storage';
import { adminClient } from './support/admin-client';
import { copyEmptyPglite } from './support/databases';
import { sleep } from './support/eventually';
import { sha256 } from './support/hashing';
import { testImages } from './support/images';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { RunningS3, startS3rver } from './support/s3rver';
import { freePort, MAIN_JS, runVireo } from './support/vireo-process';

// Processing loads the model, and every command is a process of the built binary that loads
// the whole app: minutes on the shared 2-core machine.
jest.setTimeout(600_000);

const ADMIN_KEY = 'vir_backupdrill_0123456789abcdefghijABCDEFGHIJ';

interface Deployment {
  base: string;
  close(): Promise<void>;
}

/** The app in this process over `env`'s database and storage, listening on a free port. */
async function serve(env: Record<string, string>): Promise<Deployment> {
  const port = await freePort();
  const app = await createApp(
    AppConfig.fromEnv({
      LOG_LEVEL: 'silent',
      MODEL_PRELOAD: 'false',
      INFERENCE_THREADS: '1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      RATE_LIMIT_UPLOADS_PER_MIN: '100000',
      RATE_LIMIT_READS_PER_MIN: '100000',
      RATE_LIMIT_KEYS_PER_MIN: '100000',
      ...env,
    }),
  );
  await app.listen({ port, host: '127.0.0.1' });
  return { base: `http://127.0.0.1:${port}`, close: () => app.close() };
}

interface SeededImage {
  id: string;
  sha256: string;
  /** `GET /v1/images/:id` without its links (which name the serving address). */
  resource: Record<string, unknown>;
}

interface Seeded {
  user: Record<string, string>;
  images: SeededImage[];
}

/** A user with a key, images uploaded with and without labels, processed, one labelled after. */
async function seed(base: string): Promise<Seeded> {
  const c = adminClient(base, ADMIN_KEY);
  const user = await c.newUser(['images:read', 'images:write']);
  const uploads: [Buffer, string | undefined][] = [
    [await testImages.jpeg(64, 48, '#3366cc'), 'sky'],
    [await testImages.png(48, 48, '#cc6633'), 'brick'],
    [await testImages.cartoon(), undefined],
  ];
  const images: SeededImage[] = [];
  for (const [bytes, label] of uploads) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'photo');
    if (label) form.append('label', label);
    const res = await c.api('/v1/images', { method: 'POST', body: form, as: user.headers });
    expect(res.status).toBe(202);
    images.push({ id: res.body.id, sha256: sha256(bytes), resource: {} });
  }
  await c.processed(
    user.headers,
    images.map((image) => image.id),
    120_000,
  );
  const labelled = await c.api(`/v1/images/${images[2].id}/label`, {
    method: 'PUT',
    body: JSON.stringify({ label: 'cartoon' }),
    as: user.headers,
  });
  expect(labelled.status).toBe(200);
  for (const image of images) image.resource = await imageResource(base, user.headers, image.id);
  return { user: user.headers, images };
}

async function imageResource(base: string, as: Record<string, string>, id: string) {
  const res = await adminClient(base, ADMIN_KEY).api(`/v1/images/${id}`, { as });
  expect(res.status).toBe(200);
  const { links: _links, ...resource } = res.body;
  return resource as Record<string, unknown>;
}

/** Every image, its rows and its bytes are back; the user's and the admin's keys work. */
async function expectRestored(base: string, seeded: Seeded): Promise<void> {
  for (const image of seeded.images) {
    expect(await imageResource(base, seeded.user, image.id)).toEqual(image.resource);
    const content = await fetch(`${base}/v1/images/${image.id}/content`, { headers: seeded.user });
    expect(content.status).toBe(200);
    expect(sha256(Buffer.from(await content.arrayBuffer()))).toBe(image.sha256);
    const thumbnail = await fetch(`${base}/v1/images/${image.id}/thumbnail`, {
      headers: seeded.user,
    });
    expect(thumbnail.status).toBe(200);
  }
  expect(seeded.images.map((image) => image.resource.label)).toEqual(['sky', 'brick', 'cartoon']);
  expect(seeded.images.every((image) => (image.resource.predictions as []).length > 0)).toBe(true);
  const adminKeys = await fetch(`${base}/v1/keys`, { headers: { 'x-api-key': ADMIN_KEY } });
  expect(adminKeys.status).toBe(200);
}

async function manifestOf(dir: string) {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
}

async function objectListOf(dir: string): Promise<{ key: string; etag: string }[]> {
  const text = gunzipSync(await readFile(join(dir, 'objects.ndjson.gz'))).toString('utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('backup and restore drill on the embedded defaults (PGlite, local disk)', () => {
  const dirs: string[] = [];
  let source: string;
  let backup: string;
  let backedUp: Awaited<ReturnType<typeof runVireo>>;
  let seeded: Seeded;

  const tempDir = async (name: string) => {
    const dir = await mkdtemp(join(tmpdir(), `vireo-backup-${name}-`));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    source = await tempDir('source');
    await copyEmptyPglite(join(source, 'db'));
    const deployment = await serve({ DATA_DIR: source, ADMIN_API_KEY: ADMIN_KEY });
    try {
      seeded = await seed(deployment.base);
    } finally {
      await deployment.close();
    }
    backup = join(await tempDir('out'), 'nightly');
    backedUp = await runVireo({ DATA_DIR: source }, ['backup', '--out', backup]);
  });
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('backs up the database and every object with the built binary', async () => {
    expect(backedUp).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Backup [0-9a-f-]{36} written to /m),
    });

    const manifest = await manifestOf(backup);
    const rows = Object.fromEntries(
      manifest.database.tables.map((t: { name: string; rows: number }) => [t.name, t.rows]),
    );
    // The first admin, the test's user; three images with predictions; the two users' keys.
    expect(rows).toMatchObject({ users: 2, api_keys: 2, images: 3 });
    expect(rows.predictions).toBeGreaterThanOrEqual(3);
    expect(manifest.database.migrations.length).toBeGreaterThan(0);
    expect(manifest.objects).toMatchObject({ storage: 'local', bytesIncluded: true });
    // An original and a thumbnail per image, at least; each copied beside the list.
    const objects = await objectListOf(backup);
    expect(objects.length).toBeGreaterThanOrEqual(6);
    for (const { key } of objects) expect(await exists(join(backup, 'objects', key))).toBe(true);
  });

  it('restores into a fresh DATA_DIR after a restore killed midway; every image comes back with the same sha256', async () => {
    const target = await tempDir('target');
    const killed = await restoreKilledOnceObjectsAppear(target, backup);
    const retried = await runVireo({ DATA_DIR: target }, ['restore', '--from', backup]);
    // A first run that finished before the kill leaves the retry nothing to do.
    const finished = killed ? /^Restored the backup in /m : /restored here already/;
    expect(retried).toMatchObject({ code: 0, stdout: expect.stringMatching(finished) });
    // Where the first run died: `objects: <n> put back, <m> already there` shows it.
    process.stdout.write(`restore killed: ${killed}; retry: ${retried.stdout}`);

    const again = await runVireo({ DATA_DIR: target }, ['restore', '--from', backup]);
    expect(again).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/restored here already/),
    });

    const deployment = await serve({ DATA_DIR: target });
    try {
      await expectRestored(deployment.base, seeded);
    } finally {
      await deployment.close();
    }
  });

  it('refuses to restore into a deployment that is not empty', async () => {
    const result = await runVireo({ DATA_DIR: source }, ['restore', '--from', backup]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/The target database is not empty \(rows in .*images/);
  });

  it.each([
    [
      'a truncated table',
      (dir: string) => truncate(join(dir, 'tables', 'images.ndjson.gz'), 40),
      /The backup's tables\/images.ndjson.gz is damaged or missing/,
    ],
    [
      'an object whose bytes changed',
      async (dir: string) => {
        const [first] = await objectListOf(dir);
        await writeFile(join(dir, 'objects', first.key), 'not the image');
      },
      /The backup's copy of object .* is damaged/,
    ],
    [
      'a cut-off manifest',
      async (dir: string) => {
        const text = await readFile(join(dir, 'manifest.json'), 'utf8');
        await writeFile(join(dir, 'manifest.json'), text.slice(0, text.length / 2));
      },
      /manifest.json in .* is damaged/,
    ],
    [
      'no manifest (a backup that did not finish)',
      (dir: string) => rm(join(dir, 'manifest.json')),
      /has no manifest.json: it is not a backup, or one that did not finish/,
    ],
  ])('refuses %s before touching the deployment', async (_name, damage, message) => {
    const damaged = join(await tempDir('damaged'), 'backup');
    await cp(backup, damaged, { recursive: true });
    await damage(damaged);
    const target = await tempDir('untouched');

    const result = await runVireo({ DATA_DIR: target }, ['restore', '--from', damaged]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(await readdir(target)).toEqual([]);
  });
});

/**
 * Starts `restore` and SIGKILLs it as soon as the first object lands in the target (the
 * database is migrated by then, no row is in); resolves with whether it was still running.
 */
async function restoreKilledOnceObjectsAppear(target: string, backup: string): Promise<boolean> {
  const child = spawn(process.execPath, [MAIN_JS, 'restore', '--from', backup], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: target },
    stdio: 'ignore',
  });
  const exited = once(child, 'exit');
  let done = false;
  void exited.then(() => (done = true));
  while (!done && !(await exists(join(target, 'objects', '.tmp')))) await sleep(5);
  const killed = !done && child.kill('SIGKILL');
  await exited;
  return killed;
}

describe('backup and restore on PostgreSQL and S3: keys and ETags, the bucket keeps the bytes', () => {
  const dbs: TestDatabase[] = [];
  const dirs: string[] = [];
  let s3: RunningS3;
  let env: (db: TestDatabase) => Record<string, string>;
  let backup: string;
  let seeded: Seeded;

  const freshDatabase = async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    return db;
  };

  beforeAll(async () => {
    s3 = await startS3rver();
    const bucket = `backup-${Date.now()}`;
    const dataDir = await mkdtemp(join(tmpdir(), 'vireo-backup-pg-'));
    dirs.push(dataDir);
    env = (db) => ({
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: bucket,
    });
    const source = await freshDatabase();
    backup = join(dataDir, 'backup');
    const deployment = await serve({ ...env(source), ADMIN_API_KEY: ADMIN_KEY });
    try {
      seeded = await seed(deployment.base);
    } finally {
      await deployment.close();
    }
    const result = await runVireo(env(source), ['backup', '--out', backup]);
    expect(result.code).toBe(0);
  });
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.drop()));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    await s3?.stop();
  });

  it('lists the objects by key and ETag without copying them', async () => {
    const manifest = await manifestOf(backup);
    expect(manifest.database.adapter).toBe('postgres');
    expect(manifest.objects).toMatchObject({ storage: 's3', bytesIncluded: false });
    const objects = await objectListOf(backup);
    expect(objects.length).toBeGreaterThanOrEqual(6);
    expect(objects.every((o) => /^"[^"]+"$/.test(o.etag))).toBe(true);
    expect(await exists(join(backup, 'objects'))).toBe(false);
  });

  it('restores into a fresh database over the same bucket; every image comes back with the same sha256', async () => {
    const target = await freshDatabase();
    const result = await runVireo(env(target), ['restore', '--from', backup]);
    expect(result).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/found in storage as backed up/),
    });

    const deployment = await serve(env(target));
    try {
      await expectRestored(deployment.base, seeded);
    } finally {
      await deployment.close();
    }
  });

  it('refuses, restoring no row, when the bucket lost an object the backup lists', async () => {
    const [lost] = await objectListOf(backup);
    const bucket = env(dbs[0]).S3_BUCKET;
    const storage = new MinioStorage({
      kind: 's3',
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket,
      region: 'us-east-1',
      serverSideEncryption: false,
    });
    await storage.delete(lost.key);
    storage.onModuleDestroy();
    const target = await freshDatabase();

    const result = await runVireo(env(target), ['restore', '--from', backup]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `are not in bucket ${bucket} as backed up (missing: ${lost.key};`,
    );
    const db = new Client({ connectionString: target.url });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT (SELECT count(*) FROM users)::int AS users');
      expect(rows).toEqual([{ users: 0 }]);
    } finally {
      await db.end();
    }
  });
});
