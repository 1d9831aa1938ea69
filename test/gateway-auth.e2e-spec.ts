import { createHmac } from 'node:crypto';
import { bootApp, TestApp } from './support/app';
import { ApiKeyRepository } from '../src/modules/persistence';
import { FakeClock } from './support/clock';
import { eventually } from './support/eventually';
import { bootWebReplicas, Replicas } from './support/replicas';

const ADMIN_KEY = 'vir_testadmin_0123456789abcdefghijABCDEFGHIJ';
const SIGNING_SECRET = 'gateway-test-signing-secret-0123456789';

/**
 * What serves without a credential. The issue names health, metrics (`METRICS_PUBLIC`, on by
 * default), `/docs` and `/openapi.json` (not in the document themselves); logging in and
 * refreshing need none by nature; the Open Inference Protocol's health and metadata routes are
 * public as on KServe and Triton (its inference needs the `predict` scope).
 */
const PUBLIC_ROUTES = [
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'GET /v2',
  'GET /v2/health/live',
  'GET /v2/health/ready',
  'GET /v2/models/{name}',
  'GET /v2/models/{name}/ready',
  'GET /v2/models/{name}/versions/{version}',
  'GET /v2/models/{name}/versions/{version}/ready',
];

/** Two web replicas sharing one PostgreSQL and one Redis, as behind nginx. */
describe('gateway: authentication and authorisation', () => {
  let cluster: Replicas;
  let a: TestApp;
  let b: TestApp;
  const clock = new FakeClock();

  beforeAll(async () => {
    cluster = await bootWebReplicas(
      { ADMIN_API_KEY: ADMIN_KEY, SIGNING_SECRET, JWT_ACCESS_TTL_S: '60' },
      { clock },
    );
    [a, b] = cluster.replicas;
  });
  afterAll(() => cluster?.close());
  afterEach(() => clock.reset());

  const asAdmin = { authorization: `Bearer ${ADMIN_KEY}` };
  const errorCode = (res: { body: { error: { code: string } } }) => res.body.error.code;

  async function createKey(scopes: string[], extra: Record<string, unknown> = {}) {
    const res = await a
      .http()
      .post('/v1/keys')
      .set(asAdmin)
      .send({ name: 'test', scopes, ...extra })
      .expect(201);
    return res.body as { id: string; key: string; prefix: string };
  }

  async function createUser(email: string, password = 'a long enough password') {
    const user = await a
      .http()
      .post('/v1/admin/users')
      .set(asAdmin)
      .send({ email, password })
      .expect(201);
    const login = await a.http().post('/v1/auth/login').send({ email, password }).expect(200);
    return {
      id: user.body.id as string,
      ...(login.body as { accessToken: string; refreshToken: string }),
    };
  }

  describe('credentials', () => {
    it('refuses a request without credentials', async () => {
      const res = await a.http().get('/v1/keys').expect(401);
      expect(errorCode(res)).toBe('missing_credentials');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="vireo"/);
    });

    it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer two tokens'], ['vir_abc']])(
      'refuses the malformed Authorization %j',
      async (authorization) => {
        const res = await a.http().get('/v1/keys').set('authorization', authorization).expect(401);
        expect(errorCode(res)).toBe('malformed_credentials');
      },
    );

    it('answers an unknown prefix and a wrong secret alike, so prefixes cannot be probed', async () => {
      const { prefix } = await createKey(['images:read']);
      const wrongSecret = await a
        .http()
        .get('/v1/keys')
        .set('x-api-key', `vir_${prefix}_${'x'.repeat(40)}`)
        .expect(401);
      const unknownPrefix = await a
        .http()
        .get('/v1/keys')
        .set('x-api-key', `vir_nosuchkey_${'x'.repeat(40)}`)
        .expect(401);
      const strip = (body: { error: object }) => ({ ...body.error, requestId: undefined });
      expect(strip(wrongSecret.body)).toEqual(strip(unknownPrefix.body));
      expect(errorCode(wrongSecret)).toBe('invalid_credentials');
    });

    it('takes a key from Authorization: Bearer or X-API-Key', async () => {
      const { key } = await createKey(['images:read']);
      await a.http().get('/v1/keys').set('authorization', `Bearer ${key}`).expect(200);
      await a.http().get('/v1/keys').set('x-api-key', key).expect(200);
    });

    it('refuses an expired key', async () => {
      const { key } = await createKey(['images:read'], {
        expiresAt: new Date(clock.now() + 60_000).toISOString(),
      });
      await a.http().get('/v1/keys').set('x-api-key', key).expect(200);
      clock.advance(60_000);
      const res = await a.http().get('/v1/keys').set('x-api-key', key).expect(401);
      expect(errorCode(res)).toBe('credentials_expired');
    });

    it('revokes a key on every replica at once', async () => {
      const { id, key } = await createKey(['images:read']);
      await b.http().get('/v1/keys').set('x-api-key', key).expect(200); // now cached on b
      await a.http().delete(`/v1/keys/${id}`).set(asAdmin).expect(204);
      const res = await eventually(async () => {
        const answer = await b.http().get('/v1/keys').set('x-api-key', key);
        return answer.status === 401 ? answer : undefined;
      });
      expect(errorCode(res)).toBe('credentials_revoked');
    });

    it('refuses a route whose scope the key lacks', async () => {
      const { key } = await createKey(['images:read']);
      const res = await a
        .http()
        .post('/v1/admin/users')
        .set('x-api-key', key)
        .send({ email: 'x@y.z', password: 'p'.repeat(12) })
        .expect(403);
      expect(errorCode(res)).toBe('insufficient_scope');
    });

    it("records a key's last use once a minute, not once per request", async () => {
      const { key, prefix } = await createKey(['images:read']);
      const keys = a.app.get(ApiKeyRepository);
      const use = () => a.http().get('/v1/images').set('x-api-key', key).expect(200);
      await use();
      const firstUse = await eventually(
        async () => (await keys.findByPrefix(prefix))?.lastUsedAt ?? undefined,
      );
      await Promise.all([use(), use(), use()]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await keys.findByPrefix(prefix))?.lastUsedAt).toEqual(firstUse);
    });

    it('shows the whole key once, and never again', async () => {
      const created = await createKey(['predict']);
      expect(created.key).toMatch(new RegExp(`^vir_${created.prefix}_`));
      const list = await a.http().get('/v1/keys').set(asAdmin).expect(200);
      expect(JSON.stringify(list.body)).not.toContain(created.key.split('_')[2]);
      expect(list.body.map((k: { id: string }) => k.id)).toContain(created.id);
    });
  });

  describe('users and tokens', () => {
    it('logs in, uses the access token, refreshes with rotation, and logs out everywhere', async () => {
      const tokens = await createUser('ada@example.com');
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
      await b.http().get('/v1/keys').set(bearer(tokens.accessToken)).expect(200);

      const refreshed = await a
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: tokens.refreshToken })
        .expect(200);
      expect(refreshed.body.refreshToken).not.toBe(tokens.refreshToken);
      await a.http().get('/v1/keys').set(bearer(refreshed.body.accessToken)).expect(200);

      await a.http().post('/v1/auth/logout').set(bearer(refreshed.body.accessToken)).expect(204);
      const after = await b
        .http()
        .get('/v1/keys')
        .set(bearer(refreshed.body.accessToken))
        .expect(401);
      expect(errorCode(after)).toBe('credentials_revoked');
      await a
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: refreshed.body.refreshToken })
        .expect(401);
    });

    it('revokes the session when an already-used refresh token comes back', async () => {
      const tokens = await createUser('grace@example.com');
      const next = await a
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: tokens.refreshToken })
        .expect(200);
      await a
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: tokens.refreshToken })
        .expect(401);
      await a
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: next.body.refreshToken })
        .expect(401);
    });

    it('refuses a wrong password without saying whether the email exists', async () => {
      await createUser('linus@example.com');
      const wrong = await a
        .http()
        .post('/v1/auth/login')
        .send({ email: 'linus@example.com', password: 'nope' })
        .expect(401);
      const unknown = await a
        .http()
        .post('/v1/auth/login')
        .send({ email: 'nobody@example.com', password: 'nope' })
        .expect(401);
      expect(errorCode(wrong)).toBe('invalid_login');
      expect(errorCode(unknown)).toBe('invalid_login');
    });

    it.each([
      [
        'signed with another secret',
        () => jwt({ alg: 'HS256' }, claims(), 'another-secret-entirely-0123456789'),
      ],
      ['with alg none', () => jwt({ alg: 'none' }, claims(), null)],
      [
        'with another issuer',
        () => jwt({ alg: 'HS256' }, { ...claims(), iss: 'evil' }, SIGNING_SECRET),
      ],
    ])('refuses a token %s', async (_name, token) => {
      const res = await a
        .http()
        .get('/v1/keys')
        .set('authorization', `Bearer ${token()}`)
        .expect(401);
      expect(errorCode(res)).toBe('invalid_credentials');
    });

    it('refuses an expired token', async () => {
      const expired = jwt(
        { alg: 'HS256' },
        { ...claims(), exp: Math.floor(Date.now() / 1000) - 10 },
        SIGNING_SECRET,
      );
      const res = await a
        .http()
        .get('/v1/keys')
        .set('authorization', `Bearer ${expired}`)
        .expect(401);
      expect(errorCode(res)).toBe('credentials_expired');
    });
  });

  describe('key management', () => {
    const keyOf = (key: string) => ({ 'x-api-key': key });

    it('lets no key without the admin scope mint or revoke keys, however many scopes it has', async () => {
      const user = await createUser('keeper@example.com');
      const asUser = { authorization: `Bearer ${user.accessToken}` };
      const mint = (as: Record<string, string>, scopes: string[]) =>
        a.http().post('/v1/keys').set(as).send({ name: 'k', scopes });
      const strong = (await mint(asUser, ['images:read', 'images:write', 'predict']).expect(201))
        .body;
      const other = (await mint(asUser, ['images:read']).expect(201)).body;

      const minted = await mint(keyOf(strong.key), ['images:read']).expect(403);
      expect(errorCode(minted)).toBe('session_required');
      const revoked = await a
        .http()
        .delete(`/v1/keys/${other.id}`)
        .set(keyOf(strong.key))
        .expect(403);
      expect(errorCode(revoked)).toBe('session_required');
      await b.http().get('/v1/keys').set(keyOf(other.key)).expect(200);
      const listed = await a.http().get('/v1/keys').set(asUser).expect(200);
      expect(listed.body.map((key: { id: string }) => key.id).sort()).toEqual(
        [strong.id, other.id].sort(),
      );
    });

    it("gives a minted key no longer life, no higher limits and no scopes beyond its creator's", async () => {
      const expiresAt = new Date(Date.now() + 60_000);
      const creator = await createKey(['admin'], {
        expiresAt: expiresAt.toISOString(),
        rateLimits: { reads: 50 },
      });
      const mint = (extra: Record<string, unknown>) =>
        a
          .http()
          .post('/v1/keys')
          .set(keyOf(creator.key))
          .send({ name: 'minted', scopes: ['images:read'], ...extra });

      const inheriting = await mint({}).expect(201);
      expect(inheriting.body).toMatchObject({
        expiresAt: expiresAt.toISOString(),
        rateLimits: { reads: 50 },
      });
      const later = new Date(expiresAt.getTime() + 3_600_000).toISOString();
      expect(errorCode(await mint({ expiresAt: later }).expect(403))).toBe('expiry_escalation');
      for (const rateLimits of [{ reads: 1_000_000 }, { uploads: 1_000_000 }]) {
        expect(errorCode(await mint({ rateLimits }).expect(403))).toBe('rate_limit_escalation');
      }
      const past = new Date(Date.now() - 1000).toISOString();
      expect(errorCode(await mint({ expiresAt: past }).expect(400))).toBe('invalid_expiry');
      const modest = await mint({
        expiresAt: new Date(Date.now() + 30_000).toISOString(),
        rateLimits: { reads: 10, predict: 5 },
      }).expect(201);
      expect(modest.body.rateLimits).toEqual({ reads: 10, predict: 5 });

      const user = await createUser('limited@example.com');
      const fromSession = await a
        .http()
        .post('/v1/keys')
        .set('authorization', `Bearer ${user.accessToken}`)
        .send({ name: 'big', scopes: ['images:read'], rateLimits: { reads: 1_000_000 } })
        .expect(403);
      expect(errorCode(fromSession)).toBe('rate_limit_escalation');
    });
  });

  describe('every route', () => {
    it('answers 401 on every documented path and method without one, except the public routes', async () => {
      const { body: document } = await a.http().get('/openapi.json').expect(200);
      await a.http().get('/docs').redirects(1).expect(200);
      const routes = Object.entries(document.paths as Record<string, object>).flatMap(
        ([path, operations]) => Object.keys(operations).map((method) => ({ method, path })),
      );
      const answers = await Promise.all(
        routes.map(async ({ method, path }) => {
          const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
          const res = await a.http()[method as 'get'](url);
          return { route: `${method.toUpperCase()} ${path}`, status: res.status, body: res.body };
        }),
      );
      const served = answers
        .filter((answer) => answer.status !== 401)
        .map((answer) => answer.route);
      expect(served.sort()).toEqual([...PUBLIC_ROUTES].sort());
      const refused = answers.filter((answer) => answer.status === 401);
      expect(refused.length).toBeGreaterThanOrEqual(20);
      for (const { route, body } of refused) {
        // `/v2` answers in the Open Inference Protocol's own shape: `{ "error": "<message>" }`.
        if (route.includes(' /v2/')) expect(body.error).toEqual(expect.any(String));
        else expect(body.error.code).toBe('missing_credentials');
      }
    });
  });

  describe('tenants', () => {
    it("treats another owner's key as not found", async () => {
      const ada = await createUser('tenant-a@example.com');
      const bob = await createUser('tenant-b@example.com');
      const bobsKey = await a
        .http()
        .post('/v1/keys')
        .set('authorization', `Bearer ${bob.accessToken}`)
        .send({ name: 'b', scopes: ['images:read'] })
        .expect(201);
      const res = await a
        .http()
        .delete(`/v1/keys/${bobsKey.body.id}`)
        .set('authorization', `Bearer ${ada.accessToken}`)
        .expect(404);
      expect(errorCode(res)).toBe('api_key_not_found');
      const adasKeys = await a
        .http()
        .get('/v1/keys')
        .set('authorization', `Bearer ${ada.accessToken}`)
        .expect(200);
      expect(adasKeys.body).toEqual([]);
    });

    it("answers a non-admin's key for another owner as if that owner did not exist", async () => {
      const mallory = await createUser('mallory@example.com');
      const victim = await createUser('victim@example.com');
      const asMallory = { authorization: `Bearer ${mallory.accessToken}` };
      for (const ownerId of [victim.id, '00000000-0000-4000-8000-00000000dead']) {
        const res = await a
          .http()
          .post('/v1/keys')
          .set(asMallory)
          .send({ name: 'theirs', scopes: ['images:read'], ownerId })
          .expect(404);
        expect(errorCode(res)).toBe('owner_not_found');
      }
      const victimsKeys = await a
        .http()
        .get('/v1/keys')
        .set('authorization', `Bearer ${victim.accessToken}`)
        .expect(200);
      expect(victimsKeys.body).toEqual([]);
    });

    it('lets a user revoke their own key, which then stops working', async () => {
      const user = await createUser('revoker@example.com');
      const asUser = { authorization: `Bearer ${user.accessToken}` };
      const created = await a
        .http()
        .post('/v1/keys')
        .set(asUser)
        .send({ name: 'mine', scopes: ['images:read'] })
        .expect(201);
      await b.http().get('/v1/keys').set('x-api-key', created.body.key).expect(200);
      await a.http().delete(`/v1/keys/${created.body.id}`).set(asUser).expect(204);
      const refused = await eventually(async () => {
        const answer = await b.http().get('/v1/keys').set('x-api-key', created.body.key);
        return answer.status === 401 ? answer : undefined;
      });
      expect(errorCode(refused)).toBe('credentials_revoked');
    });

    it('lets no one grant scopes they do not hold', async () => {
      const user = await createUser('modest@example.com');
      const res = await a
        .http()
        .post('/v1/keys')
        .set('authorization', `Bearer ${user.accessToken}`)
        .send({ name: 'x', scopes: ['admin'] })
        .expect(403);
      expect(errorCode(res)).toBe('scope_escalation');
    });
  });
});

function claims() {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: '00000000-0000-4000-8000-000000000000',
    sid: '00000000-0000-4000-8000-000000000001',
    scopes: ['admin'],
    typ: 'access',
    iss: 'vireo',
    aud: 'vireo-api',
    iat: now,
    exp: now + 60,
  };
}

/** A hand-made JWT, to try what an attacker would. */
function jwt(header: object, payload: object, secret: string | null): string {
  const encode = (part: object) =>
    Buffer.from(JSON.stringify({ typ: 'JWT', ...part })).toString('base64url');
  const body = `${encode(header)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = secret ? createHmac('sha256', secret).update(body).digest('base64url') : '';
  return `${body}.${signature}`;
}

describe('gateway: private metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ METRICS_PUBLIC: 'false', ADMIN_API_KEY: ADMIN_KEY });
  });
  afterAll(() => t.close());

  it('needs a credential for /metrics when METRICS_PUBLIC is off, but never for health', async () => {
    const res = await t.http().get('/metrics').expect(401);
    expect(res.body.error.code).toBe('missing_credentials');
    await t.http().get('/metrics').set('x-api-key', ADMIN_KEY).expect(200);
    await t.http().get('/health/ready').expect(200);
  });
});
