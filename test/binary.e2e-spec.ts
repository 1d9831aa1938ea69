import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVireo, startVireo } from './support/vireo-process';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './support/services';

/** The built binary, as operators run it: `node dist/main.js --role ...`. */
describe('node dist/main.js', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vireo-bin-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it.each([
    [['--role', 'boss'], {}, /^vireo: Invalid ROLE="boss"/],
    [['--role', 'worker'], {}, /^vireo: Invalid REDIS_URL=nothing: role "worker" needs Redis/],
    [[], { ROLE: 'scheduler' }, /^vireo: Invalid REDIS_URL=nothing: role "scheduler" needs Redis/],
    [[], { PORT: 'eighty' }, /^vireo: Invalid PORT="eighty"/],
    [['frobnicate'], {}, /^vireo: Unknown command "frobnicate"/],
  ])('exits at once with a one-line error for %j %j', async (args, env, message) => {
    const { code, stderr } = await runVireo({ DATA_DIR: dataDir, ...env }, args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('takes the role from --role over ROLE', async () => {
    const vireo = await startVireo(
      {
        DATA_DIR: dataDir,
        ROLE: 'web',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_PREFIX: uniqueRedisPrefix(),
      },
      ['--role', 'worker'],
    );
    try {
      const ready = (await fetch(`${vireo.url}/health/ready`).then((r) => r.json())) as {
        role: string;
      };
      expect(ready.role).toBe('worker');
      expect((await fetch(`${vireo.url}/openapi.json`)).status).toBe(404);
    } finally {
      expect(await vireo.stop()).toBe(0);
    }
  });

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const vireo = await startVireo({ DATA_DIR: dataDir });
    const socket = connect(vireo.port, '127.0.0.1');
    let response = '';
    socket.on('data', (chunk) => (response += chunk));
    const body = JSON.stringify({ probe: 'in flight' });
    socket.write(
      `POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.slice(0, 5));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const exitCode = vireo.stop('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const late = await fetch(`${vireo.url}/health/live`).then(
      (res) => res.status,
      () => 'refused',
    );
    expect(['refused', 503]).toContain(late);
    socket.write(body.slice(5));

    expect(await exitCode).toBe(0);
    expect(response).toMatch(/^HTTP\/1\.1 404/);
    expect(vireo.output()).toContain('SIGTERM received');
    expect(vireo.output()).toContain('Closed cleanly');
  });
});
