import { bootApp, TestApp } from './support/app';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { runVireo } from './support/vireo-process';

const ADMIN_KEY = 'vir_cliadmin_0123456789abcdefghijABCDEFGHIJ';

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
