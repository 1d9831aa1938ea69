import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppBuilder, createApp } from '../../src/app.factory';
import { Clock } from '../../src/common/clock';
import { AppConfig } from '../../src/config';
import { copyEmptyPglite } from './databases';
import { freePort } from './vireo-process';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

export interface BootOptions {
  /** The clock every module reads, instead of the real one (e.g. a `FakeClock`). */
  clock?: Clock;
}

/**
 * Boots the real application (every module of its role) in this process, in a temp DATA_DIR.
 * Models load on first use, on one inference thread: most suites never run one.
 */
export async function bootApp(
  env: Record<string, string> = {},
  { clock }: BootOptions = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vireo-test-'));
  const config = AppConfig.fromEnv({
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    MODEL_PRELOAD: 'false',
    INFERENCE_THREADS: '1',
    ...env,
  });
  if (config.database.kind === 'pglite') await copyEmptyPglite(config.database.dir);
  const app = await createApp(config, clock && withClock(clock));
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    http: () => request(app.getHttpServer()),
    close: async () => {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The application built through a testing module whose `Clock` is `clock`. */
function withClock(clock: Clock): AppBuilder {
  return async (root, adapter, options) => {
    const moduleRef = await Test.createTestingModule({ imports: [root] })
      .overrideProvider(Clock)
      .useValue(clock)
      .compile();
    return moduleRef.createNestApplication<NestFastifyApplication>(adapter, options);
  };
}

/**
 * `bootApp` listening on a free local port (for clients that need a real socket: signed URLs,
 * streams), with limits out of the way of tests that upload a lot.
 */
export async function bootListeningApp(
  env: Record<string, string> = {},
  options: BootOptions = {},
): Promise<TestApp> {
  const port = await freePort();
  const app = await bootApp(
    {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      RATE_LIMIT_UPLOADS_PER_MIN: '100000',
      RATE_LIMIT_READS_PER_MIN: '100000',
      RATE_LIMIT_KEYS_PER_MIN: '100000',
      QUEUE_BACKOFF_MS: '50',
      LOG_LEVEL: 'error',
      ...env,
    },
    options,
  );
  await app.app.listen({ port, host: '127.0.0.1' });
  return app;
}
