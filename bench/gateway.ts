/**
 * What the gateway costs: requests/s of an authenticated, rate-limited `GET /v1/images/:id`
 * beside the same route with the gateway off, against PostgreSQL and Redis as deployed. One
 * booted app; after a warm-up, rounds alternate gateway on / off (its guards' `canActivate`
 * patched to let a fixed caller through, then restored), so drifting machine load hits both
 * sides alike. Prints every round, the median of each side and the cost. Target: under 15%.
 *
 *   node -r @swc-node/register bench/gateway.ts
 *
 * BENCH_DURATION_S: seconds per round (default 8); BENCH_ROUNDS: rounds per side (default 3).
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
import { LoadOptions, LoadResult, printComparison, runLoad } from './support/load';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_S = 5;
const CONNECTIONS = 32;
const ADMIN_KEY = 'vir_benchadmin_0123456789abcdefghijABCDEFGHIJ';

/** Replaces `target[key]`; the returned function puts back exactly what was there. */
function patch<T extends object>(target: T, key: keyof T, value: unknown): () => void {
  const own = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { value, configurable: true, writable: true });
  return () => (own ? Object.defineProperty(target, key, own) : delete target[key]);
}

/** The gateway off: every request acts as `caller`, with no credential check, scope or limit. */
function switchGatewayOff(caller: Principal): () => void {
  const restores = [
    patch(CredentialsGuard.prototype, 'canActivate', async (context: ExecutionContext) => {
      context.switchToHttp().getRequest<{ user: Principal }>().user = caller;
      return true;
    }),
    patch(ScopesGuard.prototype, 'canActivate', () => true),
    patch(RateLimitGuard.prototype, 'canActivate', async () => true),
  ];
  return () => restores.forEach((restore) => restore());
}

async function withGatewayOff<T>(caller: Principal, run: () => Promise<T>): Promise<T> {
  const restore = switchGatewayOff(caller);
  try {
    return await run();
  } finally {
    restore();
  }
}

/** A load run, with the CPU time this process (app and load client) spent per request. */
interface Round extends LoadResult {
  cpuUsPerRequest: number;
}

async function measured(durationS: number, run: () => Promise<LoadResult>): Promise<Round> {
  const before = process.cpuUsage();
  const result = await run();
  const { user, system } = process.cpuUsage(before);
  const requests = result.requestsPerSec * durationS;
  return { ...result, cpuUsPerRequest: (user + system) / requests };
}

/** The round with the median `value` (a real run, so its latencies belong together). */
function medianBy(rounds: Round[], value: (round: Round) => number): Round {
  return [...rounds].sort((x, y) => value(x) - value(y))[Math.floor(rounds.length / 2)];
}

/** On-off, off-on, ...: a machine load that drifts during the run weighs on both sides alike. */
async function alternate(gatewayOn: () => Promise<Round>, gatewayOff: () => Promise<Round>) {
  const on: Round[] = [];
  const off: Round[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const runOn = async () => on.push(await gatewayOn());
    const runOff = async () => off.push(await gatewayOff());
    for (const run of round % 2 === 1 ? [runOn, runOff] : [runOff, runOn]) await run();
  }
  return { on, off };
}

function report(on: Round[], off: Round[]): void {
  const throughput = (round: Round) => round.requestsPerSec;
  const offMedian = { ...medianBy(off, throughput), name: `gateway off (median of ${ROUNDS})` };
  const onMedian = { ...medianBy(on, throughput), name: 'gateway on: key, scope, limit (median)' };
  const rounds = on
    .flatMap((r, i) => [r, off[i]])
    .map((r, i) => ({ ...r, name: `${r.name}, round ${Math.floor(i / 2) + 1}` }));
  printComparison('Every round, beside the gateway-off median', [offMedian, ...rounds]);
  printComparison(
    `GET /v1/images/:id, ${CONNECTIONS} connections, ${ROUNDS} x ${DURATION_S} s per side`,
    [offMedian, onMedian],
  );
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const cost = 1 - onMedian.requestsPerSec / offMedian.requestsPerSec;
  console.log(`Gateway cost: ${percent(cost)} of throughput (target: under 15%)`);
  const roundCosts = on.map((r, i) => 1 - r.requestsPerSec / off[i].requestsPerSec);
  console.log(`Cost within each round: ${roundCosts.map(percent).join(', ')}`);
  reportCpu(on, off);
}

/** CPU time per request: less sensitive than requests/s to other processes on the machine. */
function reportCpu(on: Round[], off: Round[]): void {
  const cpu = (rounds: Round[]) =>
    medianBy(rounds, (round) => round.cpuUsPerRequest).cpuUsPerRequest;
  const [cpuOn, cpuOff] = [cpu(on), cpu(off)];
  console.log(
    `CPU per request (app + load client, median): gateway off ${cpuOff.toFixed(0)} µs, ` +
      `on ${cpuOn.toFixed(0)} µs; the gateway adds ${(cpuOn - cpuOff).toFixed(0)} µs ` +
      `(${((cpuOn / cpuOff - 1) * 100).toFixed(1)}%)`,
  );
}

/** One app listening on a free port, and an image to read owned by a fresh `images:read` key. */
async function bootWithImage(env: Record<string, string>) {
  const port = await freePort();
  const app: TestApp = await bootApp({ ...env, PORT: String(port) });
  await app.app.listen({ port, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  const key = await fetch(`${url}/v1/keys`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', scopes: ['images:read'] }),
  }).then((res) => res.json() as Promise<{ key: string; ownerId: string }>);
  const image = await app.app.get(ImageRepository).create({
    ownerId: key.ownerId,
    storageKey: `originals/${key.ownerId}/bench`,
    status: 'uploaded',
    contentType: 'image/jpeg',
    sizeBytes: 51200,
  });
  return { app, url: `${url}/v1/images/${image.id}`, key };
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  try {
    const { app, url, key } = await bootWithImage({
      ROLE: 'web',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: uniqueRedisPrefix(),
      ADMIN_API_KEY: ADMIN_KEY,
      SIGNING_SECRET: 'gateway-bench-signing-secret-0123456789',
      RATE_LIMIT_READS_PER_MIN: String(1e9),
    });
    try {
      const check = await fetch(url, { headers: { 'x-api-key': key.key } });
      if (check.status !== 200) throw new Error(`GET ${url} answered ${check.status}`);
      const caller: Principal = {
        kind: 'api_key',
        id: 'bench',
        ownerId: key.ownerId,
        scopes: ['images:read'],
      };
      const load = (durationS: number): LoadOptions => ({
        url,
        headers: { 'x-api-key': key.key },
        connections: CONNECTIONS,
        durationS,
      });
      const gatewayOn = (durationS = DURATION_S) =>
        measured(durationS, () => runLoad('gateway on', load(durationS)));
      const gatewayOff = (durationS = DURATION_S) =>
        measured(durationS, () =>
          withGatewayOff(caller, () => runLoad('gateway off', load(durationS))),
        );
      await gatewayOn(WARMUP_S);
      await gatewayOff(WARMUP_S);
      const { on, off } = await alternate(gatewayOn, gatewayOff);
      report(on, off);
    } finally {
      await app.close();
    }
  } finally {
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
