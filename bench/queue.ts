/**
 * Jobs/s through each JobQueue adapter (booted as the application boots it, through Nest)
 * beside raw BullMQ (a plain Queue and Worker, no Nest layer), in the same run:
 * 10,000 trivial jobs added in bulk and run at concurrency 50.
 *
 *   node -r @swc-node/register bench/queue.ts      (BENCH_REDIS_URL, default local Redis)
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AppConfig, ConfigModule } from '../src/config';
import { ReadinessModule } from '../src/modules/health/readiness.module';
import { jobOptions } from '../src/modules/queue/bullmq-options';
import { JobQueue } from '../src/modules/queue/job-queue';
import { QueueModule } from '../src/modules/queue/queue.module';
import { deleteRedisKeys } from '../test/support/redis';

const JOBS = 10_000;
const CONCURRENCY = 50;
const BULK_SIZE = 1000;
/** Rounds take turns, so load from elsewhere on the machine hits every run alike. */
const ROUNDS = 3;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'process-image';
const payload = { imageId: 'img', ownerId: 'owner' };

/** One way of producing and consuming jobs: start a consumer, add jobs, close. */
interface Runner {
  consume(onJob: () => void): Promise<void>;
  add(count: number): Promise<void>;
  close(): Promise<void>;
}

/** A Redis key prefix of this run's own, deleted after. */
function benchRedis() {
  return { url: REDIS_URL, prefix: `vireo-bench-${randomBytes(4).toString('hex')}` };
}

/** The JobQueue the application gets: in-process, or BullMQ when given Redis. */
async function adapterRunner(redis?: { url: string; prefix: string }): Promise<Runner> {
  const config = AppConfig.fromEnv({
    QUEUE_CONCURRENCY: String(CONCURRENCY),
    ...(redis && { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix }),
  });
  @Module({ imports: [ConfigModule.forRoot(config), ReadinessModule, QueueModule] })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['warn'] });
  const queue = app.get(JobQueue);
  return {
    consume: async (onJob) => {
      queue.process(QUEUE, async () => onJob());
    },
    add: async (count) => {
      await queue.addBulk(
        QUEUE,
        jobs(count, () => ({ payload })),
      );
    },
    close: async () => {
      await app.close();
      if (redis) await deleteRedisKeys(redis);
    },
  };
}

async function rawBullMqRunner(): Promise<Runner> {
  const redis = benchRedis();
  const queue = new Queue(QUEUE, {
    connection: { url: redis.url },
    prefix: redis.prefix,
    // The adapter's job options with the default settings, so both keep the same data.
    defaultJobOptions: jobOptions(AppConfig.fromEnv({}).queue),
  });
  let worker: Worker | undefined;
  return {
    consume: async (onJob) => {
      worker = new Worker(QUEUE, async () => onJob(), {
        connection: { url: redis.url, maxRetriesPerRequest: null },
        prefix: redis.prefix,
        concurrency: CONCURRENCY,
      });
    },
    add: async (count) => {
      await queue.addBulk(jobs(count, () => ({ name: QUEUE, data: payload })));
    },
    close: async () => {
      await worker?.close();
      await queue.close();
      await deleteRedisKeys(redis);
    },
  };
}

function jobs<T>(count: number, job: () => T): T[] {
  return Array.from({ length: count }, job);
}

/** Jobs/s from the first add to the last completion, after one warm-up job. */
async function measure(runner: Runner): Promise<number> {
  let done = 0;
  let target = 1;
  let reached: () => void = () => undefined;
  const until = (count: number) => {
    target = count;
    return new Promise<void>((resolve) => (reached = resolve));
  };
  await runner.consume(() => {
    done += 1;
    if (done === target) reached();
  });
  try {
    const warm = until(1);
    await runner.add(1);
    await warm;
    done = 0;
    const all = until(JOBS);
    const startedAt = performance.now();
    for (let added = 0; added < JOBS; added += BULK_SIZE) await runner.add(BULK_SIZE);
    await all;
    return JOBS / ((performance.now() - startedAt) / 1000);
  } finally {
    await runner.close();
  }
}

async function main(): Promise<void> {
  const runs: [string, () => Promise<Runner>][] = [
    ['in-process adapter', () => adapterRunner()],
    ['BullMQ adapter', () => adapterRunner(benchRedis())],
    ['raw BullMQ (no Nest)', rawBullMqRunner],
  ];
  const results = new Map<string, number[]>(runs.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, start] of runs) results.get(name)!.push(await measure(await start()));
  }
  const jobsPerSec = (name: string) => median(results.get(name)!);
  const raw = jobsPerSec('raw BullMQ (no Nest)');
  console.log(
    `\nJobQueue throughput: ${JOBS} trivial jobs, concurrency ${CONCURRENCY}, median of ${ROUNDS}`,
  );
  console.table(
    runs.map(([name]) => ({
      run: name,
      'jobs/s': Math.round(jobsPerSec(name)),
      'vs raw BullMQ': `${(jobsPerSec(name) / raw).toFixed(2)}x`,
    })),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
