import { TestApp } from './support/app';
import { bootWebReplicas, Replicas } from './support/replicas';

const ADMIN_KEY = 'vir_ratelimit_0123456789abcdefghijABCDEFGHIJ';
const READS_PER_MIN = 6;

/** Two replicas on one Redis: one budget per API key and route class across both. */
describe('gateway: rate limits', () => {
  let cluster: Replicas;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    cluster = await bootWebReplicas({
      ADMIN_API_KEY: ADMIN_KEY,
      SIGNING_SECRET: 'rate-limit-test-signing-secret',
      RATE_LIMIT_READS_PER_MIN: String(READS_PER_MIN),
    });
    [a, b] = cluster.replicas;
  });
  afterAll(() => cluster?.close());

  async function newKey(rateLimits?: Record<string, number>): Promise<string> {
    const res = await a
      .http()
      .post('/v1/keys')
      .set('x-api-key', ADMIN_KEY)
      .send({ name: 'limited', scopes: ['images:read'], rateLimits })
      .expect(201);
    return res.body.key;
  }

  it('shares one budget across replicas, then answers 429 with Retry-After in the envelope', async () => {
    const key = await newKey();
    const statuses: number[] = [];
    for (let i = 0; i < READS_PER_MIN; i++) {
      const replica = i % 2 === 0 ? a : b;
      const res = await replica.http().get('/v1/keys').set('x-api-key', key);
      statuses.push(res.status);
      expect(res.headers['ratelimit-limit']).toBe(String(READS_PER_MIN));
      expect(res.headers['ratelimit-remaining']).toBe(String(READS_PER_MIN - i - 1));
      expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
    }
    expect(statuses).toEqual(Array(READS_PER_MIN).fill(200));

    const limited = await b.http().get('/v1/keys').set('x-api-key', key).expect(429);
    expect(limited.body.error).toMatchObject({
      code: 'rate_limited',
      requestId: expect.any(String),
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
  });

  it('counts each key on its own', async () => {
    const [first, second] = [await newKey(), await newKey()];
    for (let i = 0; i < READS_PER_MIN; i++)
      await a.http().get('/v1/keys').set('x-api-key', first).expect(200);
    await a.http().get('/v1/keys').set('x-api-key', first).expect(429);
    await a.http().get('/v1/keys').set('x-api-key', second).expect(200);
  });

  it("honours a key's own limit", async () => {
    const key = await newKey({ reads: 2 });
    await a.http().get('/v1/keys').set('x-api-key', key).expect(200);
    const second = await b.http().get('/v1/keys').set('x-api-key', key).expect(200);
    expect(second.headers['ratelimit-limit']).toBe('2');
    await a.http().get('/v1/keys').set('x-api-key', key).expect(429);
  });

  it('slows down and then refuses a brute-force login', async () => {
    const attempt = () =>
      a.http().post('/v1/auth/login').send({ email: 'victim@example.com', password: 'guess' });
    const timings: number[] = [];
    let last;
    for (let i = 0; i < 11; i++) {
      const started = Date.now();
      last = await attempt();
      timings.push(Date.now() - started);
    }
    expect(last?.status).toBe(429);
    expect(last?.body.error.code).toBe('too_many_login_attempts');
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    // Attempts 4.. wait 250 ms, 500 ms, 1 s, 2 s, 4 s...: lower bounds only, never upper.
    expect(timings[3]).toBeGreaterThanOrEqual(240);
    expect(timings[5]).toBeGreaterThanOrEqual(990);
    expect(timings[6]).toBeGreaterThan(timings[4]);
  }, 30_000);
});
