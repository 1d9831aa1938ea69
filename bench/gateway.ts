/**
 * What the gateway costs: requests/s of an authenticated, rate-limited `GET /v1/images/:id`
 * beside the same route with the gateway off (its guards replaced by one that sets a fixed
 * caller), in the same run, against PostgreSQL and Redis as deployed. Target: under 15%.
 *
 *   node -r @swc-node/register bench/gateway.ts     (BENCH_DURATION_S, default 10)
 */
import { ExecutionContext } from '@nestjs/common';
import { CredentialsGuard } from '../src/modules/gateway/auth/credentials.guard';
import { Principal } from '../src/modules/gateway/auth/principal';
import { ScopesGuard } from '../src/modules/gateway/auth/scopes.guard';
import { RateLimitGuard } from '../src/modules/gateway/rate-limit/rate-limit.guard';
import { ImageRepository } from '../src/modules/persistence';
import { bootApp, TestApp } from '../test/support/app';
import { createTestDatabase } from '../test/support/postgres';
import { TEST_REDIS_URL, uniqueRedisPrefix } from '../test/support/services';
import { freePort } from '../test/support/vireo-process';
import { printComparison, runLoad } from './support/load';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 32;
const ADMIN_KEY = 'vir_benchadmin_0123456789abcdefghijABCDEFGHIJ';

async function boot(env: Record<string, string>): Promise<{ app: TestApp; url: string }> {
  const port = await freePort();
  const app = await bootApp({ ...env, PORT: String(port) });
  await app.app.listen({ port, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${port}` };
}

/** The gateway off: every request acts as `caller`, with no credential check, scope or limit. */
function switchGatewayOff(caller: Principal): void {
  CredentialsGuard.prototype.canActivate = async (context: ExecutionContext) => {
    context.switchToHttp().getRequest<{ user: Principal }>().user = caller;
    return true;
  };
  ScopesGuard.prototype.canActivate = () => true;
  RateLimitGuard.prototype.canActivate = async () => true;
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const env = {
    ROLE: 'web',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: uniqueRedisPrefix(),
    ADMIN_API_KEY: ADMIN_KEY,
    SIGNING_SECRET: 'gateway-bench-signing-secret-0123456789',
    RATE_LIMIT_READS_PER_MIN: String(1e9),
  };
  try {
    const on = await boot(env);
    const key = await fetch(`${on.url}/v1/keys`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', scopes: ['images:read'] }),
    }).then((res) => res.json() as Promise<{ key: string; ownerId: string }>);
    const image = await on.app.app.get(ImageRepository).create({
      ownerId: key.ownerId,
      storageKey: `originals/${key.ownerId}/bench`,
      status: 'uploaded',
      contentType: 'image/jpeg',
      sizeBytes: 51200,
    });
    const route = `/v1/images/${image.id}`;
    const check = await fetch(`${on.url}${route}`, { headers: { 'x-api-key': key.key } });
    if (check.status !== 200)
      throw new Error(`GET ${route} answered ${check.status}: ${await check.text()}`);

    const withGateway = await runLoad('gateway on (API key, scope, Redis rate limit)', {
      url: `${on.url}${route}`,
      headers: { 'x-api-key': key.key },
      connections: CONNECTIONS,
      durationS: DURATION_S,
    });
    await on.app.close();

    switchGatewayOff({
      kind: 'api_key',
      id: 'bench',
      ownerId: key.ownerId,
      scopes: ['images:read'],
    });
    const off = await boot(env);
    const withoutGateway = await runLoad('gateway off (fixed caller)', {
      url: `${off.url}${route}`,
      connections: CONNECTIONS,
      durationS: DURATION_S,
    });
    await off.app.close();

    printComparison(`GET /v1/images/:id, ${CONNECTIONS} connections, ${DURATION_S} s each`, [
      withoutGateway,
      withGateway,
    ]);
    const cost = 1 - withGateway.requestsPerSec / withoutGateway.requestsPerSec;
    console.log(`Gateway cost: ${(cost * 100).toFixed(1)}% of throughput (target: under 15%)`);
  } finally {
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
