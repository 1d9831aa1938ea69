import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootApp, TestApp } from './support/app';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './support/services';
import { runVireo, startVireo } from './support/vireo-process';

const ADMIN_KEY = 'vir_cliadmin_0123456789abcdefghijABCDEFGHIJ';
const LOGGED_KEY = /shown once: (vir_[A-Za-z0-9]+_[A-Za-z0-9]+)/;

/** The operator commands of the built binary: `migrate` and `keys create`. */
describe('node dist/main.js migrate | keys create', () => {
  let db: TestDatabase;
  let app: TestApp | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await db.drop();
  });

  it('migrates once, then has nothing to apply', async () => {
    const first = await runVireo({ DATABASE_URL: db.url }, ['migrate']);
    expect(first).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Applied: \d{14}_init/),
    });
    const second = await runVireo({ DATABASE_URL: db.url }, ['migrate']);
    expect(second).toMatchObject({ code: 0, stdout: 'Nothing to apply\n' });
  });

  it('mints an API key for a user, which then authenticates', async () => {
    app = await bootApp({ DATABASE_URL: db.url, ADMIN_API_KEY: ADMIN_KEY });
    await app
      .http()
      .post('/v1/admin/users')
      .set('x-api-key', ADMIN_KEY)
      .send({ email: 'ops@example.com', password: 'a long enough password' })
      .expect(201);

    const minted = await runVireo({ DATABASE_URL: db.url }, [
      'keys',
      'create',
      '--owner',
      'ops@example.com',
      '--scopes',
      'images:read,predict',
      '--name',
      'ops laptop',
    ]);
    expect(minted.code).toBe(0);
    const key = minted.stdout.trim();
    expect(key).toMatch(/^vir_[A-Za-z0-9]+_[A-Za-z0-9]+$/);

    const keys = await app.http().get('/v1/keys').set('x-api-key', key).expect(200);
    expect(keys.body).toEqual([
      expect.objectContaining({ name: 'ops laptop', scopes: ['images:read', 'predict'] }),
    ]);
  });

  it.each([
    [
      ['keys', 'create', '--owner', 'nobody@example.com', '--scopes', 'predict'],
      /No user "nobody@example.com"/,
    ],
    [
      ['keys', 'create', '--owner', 'ops@example.com', '--scopes', 'root'],
      /Unknown scope\(s\): root/,
    ],
    [['keys', 'create', '--scopes', 'predict'], /keys create needs --owner and --scopes/],
  ])('refuses %j with exit code 2', async (args, message) => {
    const result = await runVireo({ DATABASE_URL: db.url }, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

/** First boot without `ADMIN_API_KEY`: the binary creates an admin and logs its key once. */
describe('node dist/main.js: first boot', () => {
  const redisPrefix = uniqueRedisPrefix();
  let db: TestDatabase;
  let dataDir: string;

  beforeAll(async () => {
    [db, dataDir] = await Promise.all([
      createTestDatabase(),
      mkdtemp(join(tmpdir(), 'vireo-first-boot-')),
    ]);
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Boots the web role on this database, lists keys with the key `keyFrom` its log, stops. */
  async function boot(keyFrom: (log: string) => string | undefined) {
    const vireo = await startVireo({
      ROLE: 'web',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      DATA_DIR: dataDir,
      MODEL_PRELOAD: 'false',
    });
    try {
      const log = vireo.output();
      const key = keyFrom(log);
      const res = key && (await fetch(`${vireo.url}/v1/keys`, { headers: { 'x-api-key': key } }));
      return { log, key, status: res ? res.status : undefined };
    } finally {
      await vireo.stop();
    }
  }

  it('prints a working admin key once, and not on the next boot', async () => {
    const first = await boot((log) => log.match(LOGGED_KEY)?.[1]);
    expect(first.key).toMatch(/^vir_/);
    expect(first.log.split(first.key as string)).toHaveLength(2);
    expect(first.status).toBe(200);

    const second = await boot(() => first.key);
    expect(second.log).not.toContain('Created the first admin');
    expect(second.log).not.toMatch(/vir_\w+/);
    expect(second.status).toBe(200);
  });
});
