import { bootApp, BootOptions, TestApp } from './app';
import { createTestDatabase } from './postgres';
import { TEST_REDIS_URL, uniqueRedisPrefix } from './services';

export interface Replicas {
  replicas: TestApp[];
  close(): Promise<void>;
}

/** Web replicas sharing one fresh PostgreSQL database and one Redis prefix, as behind nginx. */
export async function bootWebReplicas(
  env: Record<string, string>,
  options: BootOptions = {},
  count = 2,
): Promise<Replicas> {
  const db = await createTestDatabase();
  const shared = {
    ROLE: 'web',
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: uniqueRedisPrefix(),
  };
  const replicas: TestApp[] = [];
  for (let i = 0; i < count; i++) replicas.push(await bootApp({ ...shared, ...env }, options));
  return {
    replicas,
    close: async () => {
      await Promise.all(replicas.map((replica) => replica.close()));
      await db.drop();
    },
  };
}
