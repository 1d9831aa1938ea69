import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx, RunningNginx } from './support/nginx';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './support/services';
import { freePort, startVireo, VireoProcess } from './support/vireo-process';

/** How many GET /health/ready a replica answered, read from its own Prometheus metrics. */
async function readyRequestsServed(replica: VireoProcess): Promise<number> {
  const metrics = await fetch(`${replica.url}/metrics`).then((res) => res.text());
  const line = metrics
    .split('\n')
    .find(
      (l) =>
        l.startsWith('vireo_http_request_duration_seconds_count') &&
        l.includes('route="/health/ready"'),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * docker/nginx.conf in front of two real web replicas (Debian's nginx, local ports), which
 * share one PostgreSQL database and one Redis prefix as in production.
 */
describe('nginx in front of two web replicas', () => {
  let replicas: VireoProcess[] = [];
  let nginx: RunningNginx;
  let base: string;
  let dataDir: string;
  let db: TestDatabase;

  beforeAll(async () => {
    [dataDir, db] = await Promise.all([mkdtemp(join(tmpdir(), 'vireo-lb-')), createTestDatabase()]);
    const env = {
      ROLE: 'web',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: uniqueRedisPrefix(),
      MODEL_PRELOAD: 'false',
      INFERENCE_THREADS: '1',
    };
    replicas = await Promise.all(
      [1, 2].map((n) => startVireo({ ...env, DATA_DIR: join(dataDir, `web${n}`) })),
    );
    const port = await freePort();
    nginx = await startNginx(
      replicas.map((r) => `127.0.0.1:${r.port}`),
      port,
    );
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('spreads requests over both replicas and passes X-Request-Id on', async () => {
    const before = await Promise.all(replicas.map(readyRequestsServed));
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${base}/health/ready`, { headers: { 'x-request-id': `lb-${i}` } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200));
    expect(answers.map((a) => a.headers.get('x-request-id'))).toEqual(
      answers.map((_, i) => `lb-${i}`),
    );
    const after = await Promise.all(replicas.map(readyRequestsServed));
    const served = after.map((count, i) => count - before[i]);
    expect(served[0] + served[1]).toBe(40);
    expect(Math.min(...served)).toBeGreaterThanOrEqual(5);
  });

  it('keeps answering through the other replica when one is killed', async () => {
    await replicas[0].stop('SIGKILL');
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await fetch(`${base}/health/live`)).status);
    }
    expect(statuses).toEqual(Array(20).fill(200));
  });
});
