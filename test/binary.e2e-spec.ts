import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, waitUntil } from './support/eventually';
import { sha256 } from './support/hashing';
import { testImages } from './support/images';
import { createTestDatabase, TestDatabase } from './support/postgres';
import { runVireo, startVireo, VireoProcess } from './support/vireo-process';
import { deleteRedisKeys, testRedis } from './support/redis';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './support/services';
import { StallingProxy, startStallingProxy } from './support/stalling-proxy';

const ADMIN_API_KEY = 'vir_binaryadmin_0123456789abcdefghijABCDEFGHIJ';

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

  describe('started with --role worker while ROLE=web', () => {
    let vireo: VireoProcess;

    beforeAll(async () => {
      vireo = await startVireo(
        {
          DATA_DIR: dataDir,
          ROLE: 'web',
          REDIS_URL: TEST_REDIS_URL,
          REDIS_PREFIX: uniqueRedisPrefix(),
        },
        ['--role', 'worker'],
      );
    });
    afterAll(() => vireo.stop());

    it('takes the role from --role over ROLE', async () => {
      // Eventually: the first checks of a cold process on a busy machine may time out.
      const ready = await eventually(async () => {
        const res = await fetch(`${vireo.url}/health/ready`);
        return res.ok ? ((await res.json()) as { role: string }) : undefined;
      }, 15_000);
      expect(ready.role).toBe('worker');
      expect((await fetch(`${vireo.url}/openapi.json`)).status).toBe(404);
    });

    it('logs each request as a JSON line with its X-Request-Id, credentials redacted', async () => {
      const requestId = `log-probe-${Date.now()}`;
      const secrets = {
        authorization: 'Bearer vir_logprobe_bearerSecret',
        key: 'vir_logprobe_keySecret',
      };
      const res = await fetch(`${vireo.url}/health/live`, {
        headers: {
          'x-request-id': requestId,
          authorization: secrets.authorization,
          'x-api-key': secrets.key,
        },
      });
      expect(res.headers.get('x-request-id')).toBe(requestId);

      const line = await eventually(async () => requestLogLine(vireo.output(), requestId));
      expect(line).toMatchObject({
        msg: 'request completed',
        role: 'worker',
        req: {
          id: requestId,
          method: 'GET',
          url: '/health/live',
          headers: { authorization: '[Redacted]', 'x-api-key': '[Redacted]' },
        },
        res: { statusCode: 200 },
      });
      expect(vireo.output()).not.toContain('bearerSecret');
      expect(vireo.output()).not.toContain('keySecret');
    });

    it('exits 0 on SIGTERM', async () => {
      expect(await vireo.stop('SIGTERM')).toBe(0);
    });
  });

  describe('while a dependency stops answering and comes back', () => {
    const redisKeys = testRedis();
    let redis: StallingProxy;
    let database: TestDatabase;
    let vireo: VireoProcess;

    // On PostgreSQL: a fresh embedded database takes long to initialise on a busy machine.
    beforeAll(async () => {
      [redis, database] = await Promise.all([
        startStallingProxy(redisKeys.url),
        createTestDatabase(),
      ]);
      vireo = await startVireo({
        DATA_DIR: join(dataDir, 'readiness'),
        DATABASE_URL: database.url,
        ROLE: 'scheduler',
        REDIS_URL: redis.url,
        REDIS_PREFIX: redisKeys.prefix,
        HEALTH_CHECK_TIMEOUT_MS: '1000',
      });
    });
    afterAll(async () => {
      redis?.resume();
      await vireo?.stop();
      await Promise.all([redis?.close(), database?.drop(), deleteRedisKeys(redisKeys)]);
    });

    const ready = async () => (await fetch(`${vireo.url}/health/ready`)).status;

    it('logs readiness once per change, never each probe at error level with a stack', async () => {
      await eventually(async () => ((await ready()) === 200 ? true : undefined), 15_000);
      redis.stall();
      const failing = 6;
      for (let probe = 0; probe < failing; probe++) expect(await ready()).toBe(503);
      redis.resume();
      await eventually(async () => ((await ready()) === 200 ? true : undefined), 15_000);
      for (let probe = 0; probe < 3; probe++) expect(await ready()).toBe(200);

      const lines = vireo
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map(
          (line) =>
            JSON.parse(line) as {
              level: number;
              msg: string;
              req?: { url?: string };
              res?: object;
              err?: object;
            },
        );
      // Each readiness line is a change (a busy machine may add one, e.g. a slow database
      // check), far fewer than the probes.
      const changes = lines
        .map((line) => line.msg)
        .filter((msg) => msg.startsWith('Not ready') || msg === 'Ready again');
      expect(changes).toContain('Not ready: queue failed');
      expect(changes.at(-1)).toBe('Ready again');
      expect(changes.filter((msg, i) => msg === changes[i - 1])).toEqual([]);
      expect(changes.length).toBeLessThan(failing);
      // The probes' own lines: answers, and failures (each with a stack, before).
      const probeLines = lines.filter(
        (line) => (line.req?.url === '/health/ready' && line.res) || line.msg === 'request failed',
      );
      expect(probeLines.filter((line) => line.level >= 50 || line.err)).toEqual([]);
      expect(probeLines.length).toBeGreaterThanOrEqual(3);
    });
  });

  describe('serving signed URLs', () => {
    let vireo: VireoProcess;
    let database: TestDatabase;

    beforeAll(async () => {
      database = await createTestDatabase();
      vireo = await startVireo({
        DATA_DIR: join(dataDir, 'signed'),
        DATABASE_URL: database.url,
        ADMIN_API_KEY,
        MODEL_PRELOAD: 'false',
        INFERENCE_THREADS: '1',
      });
    });
    afterAll(async () => {
      await vireo?.stop();
      await database?.drop();
    });

    it('logs every request to a signed URL and every redirect to one without its signature', async () => {
      const bytes = await testImages.jpeg(12, 12, '#2b2b2b');
      const asAdmin = { 'x-api-key': ADMIN_API_KEY };
      const started = await fetch(`${vireo.url}/v1/uploads`, {
        method: 'POST',
        headers: { ...asAdmin, 'content-type': 'application/json' },
        body: JSON.stringify({ contentType: 'image/jpeg', size: bytes.length }),
      });
      const link = (await started.json()) as { id: string; uploadUrl: string };
      const put = await fetch(link.uploadUrl, {
        method: 'PUT',
        headers: { 'content-type': 'image/jpeg' },
        body: bytes,
      });
      expect(put.status).toBe(200);
      await fetch(`${vireo.url}/v1/uploads/${link.id}/complete`, {
        method: 'POST',
        headers: asAdmin,
      });
      const redirect = await fetch(`${vireo.url}/v1/images/${link.id}/content`, {
        headers: asAdmin,
        redirect: 'manual',
      });
      const location = redirect.headers.get('location') as string;
      expect((await fetch(location)).status).toBe(200);

      const signatures = [link.uploadUrl, location].map((url) =>
        new URL(url).searchParams.get('sig'),
      );
      const logged = await eventually(async () => {
        const lines = vireo
          .output()
          .split('\n')
          .filter((line) => line.includes('/v1/storage/objects'));
        return lines.length >= 3 ? lines : undefined;
      });
      for (const signature of signatures) {
        expect(signature).toEqual(expect.any(String));
        expect(vireo.output()).not.toContain(signature as string);
      }
      expect(logged.join('\n')).toContain('sig=[Redacted]');
    });
  });

  describe('on SIGTERM', () => {
    const shutdownTimeoutMs = 1500;
    let patient: VireoProcess;
    let stuck: VireoProcess;
    let databases: TestDatabase[] = [];
    let image: Buffer;

    // On PostgreSQL: two embedded databases initialising at once take too long to boot.
    beforeAll(async () => {
      databases = await Promise.all([createTestDatabase(), createTestDatabase()]);
      const env = (name: string, database: TestDatabase) => ({
        DATA_DIR: join(dataDir, name),
        DATABASE_URL: database.url,
        ADMIN_API_KEY,
        MODEL_PRELOAD: 'false',
        INFERENCE_THREADS: '1',
      });
      [patient, stuck, image] = await Promise.all([
        startVireo(env('patient', databases[0])),
        startVireo({
          ...env('stuck', databases[1]),
          SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
        }),
        testImages.noiseJpeg(64 * 1024),
      ]);
    });
    afterAll(async () => {
      await Promise.all([patient?.stop(), stuck?.stop()]);
      await Promise.all(databases.map((database) => database.drop()));
    });

    it('finishes a slow upload in flight with 200, refusing new requests, then exits 0', async () => {
      const upload = await startSlowUpload(patient, join(dataDir, 'patient'), image);

      const exitCode = patient.stop('SIGTERM');
      // Logged just before the server stops accepting, in the same turn of its event loop.
      await waitUntil(() => patient.output().includes('SIGTERM received'));
      const late = await fetch(`${patient.url}/health/live`).then(
        (res) => res.status,
        () => 'refused',
      );
      expect(['refused', 503]).toContain(late);
      const response = await upload.finish();

      expect(response).toMatch(/^HTTP\/1\.1 200 /);
      expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toEqual({
        size: image.length,
        sha256: sha256(image),
      });
      expect(await exitCode).toBe(0);
      expect(patient.output()).toContain('SIGTERM received');
      expect(patient.output()).toContain('Closed cleanly');
    });

    it('exits 1 after SHUTDOWN_TIMEOUT_MS when a request never finishes', async () => {
      const upload = await startSlowUpload(stuck, join(dataDir, 'stuck'), image);

      const signalled = Date.now();
      const exitCode = await stuck.stop('SIGTERM');
      const elapsed = Date.now() - signalled;
      upload.abandon();

      expect(exitCode).toBe(1);
      expect(elapsed).toBeGreaterThanOrEqual(shutdownTimeoutMs);
      expect(elapsed).toBeLessThan(shutdownTimeoutMs + 3000);
      expect(stuck.output()).toContain(
        `Shutdown took longer than ${shutdownTimeoutMs} ms; exiting anyway`,
      );
    });
  });
});

/** The pino-http line of the request `requestId`, parsed; undefined until it is written. */
function requestLogLine(output: string, requestId: string): Record<string, unknown> | undefined {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { req?: { id?: string } })
    .find((entry) => entry.req?.id === requestId);
}

interface SlowUpload {
  /** Sends the rest of the body; resolves with the raw HTTP response once the server closes. */
  finish(): Promise<string>;
  abandon(): void;
}

/**
 * Starts an upload to a signed upload link of `vireo` (local disk, under `vireoDataDir`) on a
 * raw socket, sending only the first half of the body: the request stays in flight until
 * `finish()`. Resolves once the server is writing the bytes (its temp file exists).
 */
async function startSlowUpload(
  vireo: VireoProcess,
  vireoDataDir: string,
  bytes: Buffer,
): Promise<SlowUpload> {
  const started = await fetch(`${vireo.url}/v1/uploads`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ contentType: 'image/jpeg', size: bytes.length }),
  });
  expect(started.status).toBe(201);
  const link = new URL(((await started.json()) as { uploadUrl: string }).uploadUrl);
  const socket = connect(vireo.port, '127.0.0.1');
  socket.on('error', () => undefined);
  let response = '';
  socket.on('data', (chunk) => (response += chunk));
  const closed = once(socket, 'close');
  const half = Math.floor(bytes.length / 2);
  socket.write(
    `PUT ${link.pathname}${link.search} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
      `Content-Type: image/jpeg\r\nContent-Length: ${bytes.length}\r\n\r\n`,
  );
  socket.write(bytes.subarray(0, half));
  const tempFiles = join(vireoDataDir, 'objects', '.tmp');
  await waitUntil(async () => (await readdir(tempFiles).catch(() => [])).length > 0);
  return {
    finish: async () => {
      socket.write(bytes.subarray(half));
      await closed;
      return response;
    },
    abandon: () => socket.destroy(),
  };
}
