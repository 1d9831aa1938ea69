import { bootApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { deleteRedisKeys, testRedis } from './support/redis';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './support/services';
import { StallingProxy, startStallingProxy } from './support/stalling-proxy';

const roles = [
  { role: 'all', servesApi: true },
  { role: 'web', servesApi: true },
  { role: 'worker', servesApi: false },
  { role: 'scheduler', servesApi: false },
] as const;

describe.each(roles)('role $role', ({ role, servesApi }) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ ROLE: role, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: uniqueRedisPrefix() });
  });
  afterAll(() => t.close());

  it('is live', async () => {
    await t.http().get('/health/live').expect(200, { status: 'ok' });
  });

  it('is ready, naming its role', async () => {
    const res = await t.http().get('/health/ready').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', role });
    for (const check of ['database', 'storage', 'queue']) {
      expect(res.body.checks[check]).toMatchObject({ status: 'up' });
    }
  });

  it('serves Prometheus metrics', async () => {
    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain(`role="${role}"`);
    expect(res.text).toContain('vireo_process_cpu_seconds_total');
    expect(res.text).toMatch(
      /^vireo_queue_jobs\{[^}]*queue="process-image"[^}]*state="waiting"[^}]*\} \d+$/m,
    );
  });

  it(servesApi ? 'serves the OpenAPI document and docs' : 'serves no API', async () => {
    if (servesApi) {
      const res = await t.http().get('/openapi.json').expect(200);
      expect(res.body.info.title).toBe('Vireo');
      expect(Object.keys(res.body.paths)).toContain('/health/ready');
      await t.http().get('/docs').expect(200).expect('content-type', /html/);
    } else {
      const res = await t.http().get('/openapi.json').expect(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });
});

describe('readiness when a dependency is down', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Redis on a closed port: the app boots (producers fail fast), but is not ready.
    t = await bootApp({ REDIS_URL: 'redis://127.0.0.1:1', HEALTH_CHECK_TIMEOUT_MS: '500' });
  });
  afterAll(() => t.close());

  it('answers 503 naming the failed check, in the error envelope', async () => {
    const res = await t.http().get('/health/ready').expect(503);
    expect(res.body.error).toMatchObject({
      code: 'not_ready',
      message: expect.stringContaining('queue'),
    });
    expect(res.body.error.details.failed).toEqual(['queue']);
    expect(res.body.error.details.checks.database).toMatchObject({ status: 'up' });
  });

  it('stays live', async () => {
    await t.http().get('/health/live').expect(200);
  });
});

describe('readiness when a dependency accepts connections but stops answering', () => {
  const checkTimeoutMs = 300;
  const keys = testRedis();
  let redis: StallingProxy;
  let t: TestApp;

  beforeAll(async () => {
    redis = await startStallingProxy(keys.url);
    t = await bootApp({
      ROLE: 'scheduler',
      REDIS_URL: redis.url,
      REDIS_PREFIX: keys.prefix,
      HEALTH_CHECK_TIMEOUT_MS: String(checkTimeoutMs),
    });
    // The first checks of a cold process can take longer than the short timeout.
    await eventually(async () =>
      (await t.http().get('/health/ready')).status === 200 ? true : undefined,
    );
    redis.stall();
  });
  afterAll(async () => {
    redis.resume();
    await t.close();
    await Promise.all([redis.close(), deleteRedisKeys(keys)]);
  });

  it('answers 503 naming the check once HEALTH_CHECK_TIMEOUT_MS passed, not when Redis gives up', async () => {
    const started = Date.now();
    const res = await t.http().get('/health/ready').expect(503);
    const elapsed = Date.now() - started;
    expect(res.body.error.details.failed).toEqual(['queue']);
    expect(res.body.error.details.checks.queue).toMatchObject({
      status: 'down',
      message: `timeout of ${checkTimeoutMs}ms exceeded`,
    });
    expect(res.body.error.details.checks.database).toMatchObject({ status: 'up' });
    // Redis's own command timeout (2 s) would have failed the check later than this.
    expect(elapsed).toBeGreaterThanOrEqual(checkTimeoutMs);
    expect(elapsed).toBeLessThan(2000);
  });
});
