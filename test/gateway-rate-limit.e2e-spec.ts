import type { Response } from 'supertest';
import { Clock } from '../src/common/clock';
import { LoginThrottle } from '../src/modules/gateway/auth/login-throttle';
import { bootApp, TestApp } from './support/app';
import { bootWebReplicas, Replicas } from './support/replicas';

const ADMIN_KEY = 'vir_ratelimit_0123456789abcdefghijABCDEFGHIJ';
const READS_PER_MIN = 6;
const UPLOADS_PER_MIN = 3;
const PREDICT_PER_MIN = 3;
const KEYS_PER_MIN = 12;

async function newKey(
  app: TestApp,
  scopes: string[],
  rateLimits?: Record<string, number>,
): Promise<string> {
  const res = await app
    .http()
    .post('/v1/keys')
    .set('x-api-key', ADMIN_KEY)
    .send({ name: 'limited', scopes, rateLimits })
    .expect(201);
  return res.body.key;
}

/** Sends `limit` requests, each let through, then one more: that answer, to check the refusal. */
async function exhaust(limit: number, send: (i: number) => Promise<Response>): Promise<Response> {
  for (let i = 0; i < limit; i++) {
    const res = await send(i);
    expect(res.status).not.toBe(429);
    expect(res.headers['ratelimit-limit']).toBe(String(limit));
    expect(res.headers['ratelimit-remaining']).toBe(String(limit - i - 1));
  }
  const refused = await send(limit);
  expect(refused.status).toBe(429);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  return refused;
}

function expectRateLimitedEnvelope(res: Response): void {
  expect(res.body.error).toMatchObject({ code: 'rate_limited', requestId: expect.any(String) });
}

/** Two replicas on one Redis: one budget per API key and route class across both. */
describe('gateway: rate limits', () => {
  let cluster: Replicas;
  let a: TestApp;
  let b: TestApp;
  const either = (i: number) => (i % 2 === 0 ? a : b);

  beforeAll(async () => {
    cluster = await bootWebReplicas({
      ADMIN_API_KEY: ADMIN_KEY,
      SIGNING_SECRET: 'rate-limit-test-signing-secret',
      RATE_LIMIT_READS_PER_MIN: String(READS_PER_MIN),
      RATE_LIMIT_UPLOADS_PER_MIN: String(UPLOADS_PER_MIN),
      RATE_LIMIT_PREDICT_PER_MIN: String(PREDICT_PER_MIN),
      RATE_LIMIT_KEYS_PER_MIN: String(KEYS_PER_MIN),
    });
    [a, b] = cluster.replicas;
  });
  afterAll(() => cluster?.close());

  it('shares one budget across replicas, then answers 429 with Retry-After in the envelope', async () => {
    const key = await newKey(a, ['images:read']);
    const statuses: number[] = [];
    for (let i = 0; i < READS_PER_MIN; i++) {
      const res = await either(i).http().get('/v1/keys').set('x-api-key', key);
      statuses.push(res.status);
      expect(res.headers['ratelimit-limit']).toBe(String(READS_PER_MIN));
      expect(res.headers['ratelimit-remaining']).toBe(String(READS_PER_MIN - i - 1));
      expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
    }
    expect(statuses).toEqual(Array(READS_PER_MIN).fill(200));

    const limited = await b.http().get('/v1/keys').set('x-api-key', key).expect(429);
    expectRateLimitedEnvelope(limited);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
  });

  it('counts each key on its own', async () => {
    const [first, second] = [await newKey(a, ['images:read']), await newKey(a, ['images:read'])];
    for (let i = 0; i < READS_PER_MIN; i++)
      await a.http().get('/v1/keys').set('x-api-key', first).expect(200);
    await a.http().get('/v1/keys').set('x-api-key', first).expect(429);
    await a.http().get('/v1/keys').set('x-api-key', second).expect(200);
  });

  it("honours a key's own limit", async () => {
    const key = await newKey(a, ['images:read'], { reads: 2 });
    await a.http().get('/v1/keys').set('x-api-key', key).expect(200);
    const second = await b.http().get('/v1/keys').set('x-api-key', key).expect(200);
    expect(second.headers['ratelimit-limit']).toBe('2');
    await a.http().get('/v1/keys').set('x-api-key', key).expect(429);
  });

  it('limits uploads on their own budget', async () => {
    const key = await newKey(a, ['images:read', 'images:write']);
    const startUpload = (i: number) =>
      either(i)
        .http()
        .post('/v1/uploads')
        .set('x-api-key', key)
        .send({ contentType: 'image/jpeg', size: 1000 + i });
    const refused = await exhaust(UPLOADS_PER_MIN, async (i) => {
      const res = await startUpload(i);
      if (i < UPLOADS_PER_MIN) expect(res.status).toBe(201);
      return res;
    });
    expectRateLimitedEnvelope(refused);
    await a.http().get('/v1/keys').set('x-api-key', key).expect(200);
  });

  it('limits predictions on their own budget, refused requests included', async () => {
    const key = await newKey(a, ['predict']);
    const refused = await exhaust(PREDICT_PER_MIN, async (i) => {
      const res = await either(i).http().post('/v1/predict').set('x-api-key', key);
      if (i < PREDICT_PER_MIN) expect(res.body.error.code).not.toBe('rate_limited');
      return res;
    });
    expectRateLimitedEnvelope(refused);
  });

  it('limits minting and revoking keys on their own budget', async () => {
    const minter = await newKey(a, ['admin']);
    const created: string[] = [];
    const refused = await exhaust(KEYS_PER_MIN, async (i) => {
      if (i % 3 === 2)
        return either(i).http().delete(`/v1/keys/${created.pop()}`).set('x-api-key', minter);
      const res = await either(i)
        .http()
        .post('/v1/keys')
        .set('x-api-key', minter)
        .send({ name: `k${i}`, scopes: ['images:read'] });
      created.push(res.body.id);
      return res;
    });
    expectRateLimitedEnvelope(refused);
    await a.http().get('/v1/keys').set('x-api-key', minter).expect(200);
  });

  it('counts anonymous callers per client IP from the X-Forwarded-For of a trusted proxy', async () => {
    // TRUST_PROXY defaults to loopback, where these requests come from (as nginx's would).
    const fromClient = (ip: string) => (i: number) =>
      either(i).http().get('/v2').set('x-forwarded-for', ip);
    await exhaust(READS_PER_MIN, fromClient('203.0.113.7'));
    await b.http().get('/v2').set('x-forwarded-for', '203.0.113.8').expect(200);
  });

  it('slows down and then refuses a brute-force login, but not the owner elsewhere', async () => {
    const email = 'victim@example.com';
    const password = 'the owner knows this one';
    await a.http().post('/v1/admin/users').set('x-api-key', ADMIN_KEY).send({ email, password });
    const login = (from: string, tried = 'guess') =>
      a.http().post('/v1/auth/login').set('x-forwarded-for', from).send({ email, password: tried });
    const attempt = () => login('198.51.100.66');
    // The brake's waits, as asked of the replica's clock (nothing waits for real).
    const waits = jest.spyOn(a.app.get(Clock), 'sleep').mockResolvedValue();
    let last;
    for (let i = 0; i < 11; i++) last = await attempt();
    expect(last?.status).toBe(429);
    expect(last?.body.error.code).toBe('too_many_login_attempts');
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    // Ten attempts slowed down (0, 0, 0, 250 ms, 500 ms, ... 4 s), the eleventh refused at once.
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(LoginThrottle.delayFor);
    expect(waits.mock.calls.map(([ms]) => ms)).toEqual(delays);

    // Throttled per account and client together: the attacker's address stays locked out,
    // the owner logs in from theirs at once.
    expect((await login('198.51.100.66', password)).status).toBe(429);
    waits.mockClear();
    const owner = await login('192.0.2.10', password).expect(200);
    expect(owner.body.accessToken).toEqual(expect.any(String));
    expect(waits.mock.calls).toEqual([[0]]);
    waits.mockRestore();
  });
});

/** The embedded default: no REDIS_URL, so counters live in memory; nginx on another host. */
describe('gateway: rate limits in one process, without Redis', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({
      ADMIN_API_KEY: ADMIN_KEY,
      RATE_LIMIT_READS_PER_MIN: String(READS_PER_MIN),
      TRUST_PROXY: '10.0.0.0/8',
    });
  });
  afterAll(() => t?.close());

  it('limits in memory, then answers 429 with Retry-After in the envelope', async () => {
    const key = await newKey(t, ['images:read']);
    const refused = await exhaust(READS_PER_MIN, () =>
      t.http().get('/v1/keys').set('x-api-key', key),
    );
    expectRateLimitedEnvelope(refused);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    // Every request claims another client; all come from loopback, which is not trusted here.
    await exhaust(READS_PER_MIN, (i) =>
      t
        .http()
        .get('/v2')
        .set('x-forwarded-for', `203.0.113.${i + 1}`),
    );
  });
});
