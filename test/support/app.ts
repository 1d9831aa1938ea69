import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { AppConfig } from '../../src/config';
import { copyEmptyPglite } from './databases';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

/**
 * Boots the real application (every module of its role) in this process, in a temp DATA_DIR.
 * Models load on first use, on one inference thread: most suites never run one.
 */
export async function bootApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vireo-test-'));
  const config = AppConfig.fromEnv({
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    MODEL_PRELOAD: 'false',
    INFERENCE_THREADS: '1',
    ...env,
  });
  if (config.database.kind === 'pglite') await copyEmptyPglite(config.database.dir);
  const app = await createApp(config);
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
