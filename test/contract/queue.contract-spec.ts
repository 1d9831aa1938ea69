import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { AppConfig, ConfigModule } from '../../src/config';
import { ReadinessRegistry } from '../../src/modules/health/readiness.registry';
import { Job, JobQueue, QueueCounts } from '../../src/modules/queue/job-queue';
import { QueueModule, WORKER_LOCK } from '../../src/modules/queue/queue.module';
import { QueueUnavailableError } from '../../src/modules/queue/queue-unavailable';
import { sleep, waitUntil } from '../support/eventually';
import { deleteRedisKeys, testRedis, UNREACHABLE_REDIS_URL } from '../support/redis';

const BACKOFF_MS = 100;
const QUEUE_SETTINGS = { QUEUE_ATTEMPTS: '3', QUEUE_BACKOFF_MS: String(BACKOFF_MS) };
/** Short locks, so a crashed BullMQ worker's job is recovered within about two seconds. */
const SHORT_LOCK = { lockDurationMs: 1000, stalledIntervalMs: 500 };

@Global()
@Module({ providers: [ReadinessRegistry], exports: [ReadinessRegistry] })
class TestReadinessModule {}

interface Replica {
  jobQueue: JobQueue;
  readiness: ReadinessRegistry;
  close: () => Promise<void>;
}

/** One process's QueueModule, wired as the application wires it. */
async function bootReplica(env: Record<string, string>): Promise<Replica> {
  const config = AppConfig.fromEnv(env);
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(config), TestReadinessModule, QueueModule],
  })
    .overrideProvider(WORKER_LOCK)
    .useValue(SHORT_LOCK)
    .compile();
  await moduleRef.init();
  return {
    jobQueue: moduleRef.get(JobQueue),
    readiness: moduleRef.get(ReadinessRegistry),
    close: () => moduleRef.close(),
  };
}

interface Deployment {
  /** Two processes' queues (the same one where the queue lives in one process). */
  replicas: [JobQueue, JobQueue];
  close: () => Promise<void>;
}

const adapters: [string, () => Promise<Deployment>][] = [
  [
    'in-process',
    async () => {
      const replica = await bootReplica(QUEUE_SETTINGS);
      return { replicas: [replica.jobQueue, replica.jobQueue], close: replica.close };
    },
  ],
  [
    'bullmq',
    async () => {
      const redis = testRedis();
      const env = { ...QUEUE_SETTINGS, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix };
      const replicas = [await bootReplica(env), await bootReplica(env)];
      return {
        replicas: [replicas[0].jobQueue, replicas[1].jobQueue],
        close: async () => {
          await Promise.all(replicas.map((replica) => replica.close()));
          await deleteRedisKeys(redis);
        },
      };
    },
  ],
];

const image = (n: number) => ({ imageId: `img-${n}`, ownerId: 'owner-1' });

describe.each(adapters)('JobQueue (%s)', (_name, deploy) => {
  let deployment: Deployment;
  let queue: JobQueue;

  beforeEach(async () => {
    deployment = await deploy();
    queue = deployment.replicas[0];
  });
  afterEach(() => deployment.close());

  it('runs a job added twice with the same id once, even after it completed', async () => {
    const runs: string[] = [];
    queue.process('process-image', async (job) => void runs.push(job.payload.imageId), {
      concurrency: 1,
    });
    const ids = await Promise.all([
      queue.add('process-image', image(1), { jobId: 'img-1.clean' }),
      queue.add('process-image', image(1), { jobId: 'img-1.clean' }),
    ]);
    expect(ids).toEqual(['img-1.clean', 'img-1.clean']);
    await waitUntil(() => runs.length === 1);
    await queue.add('process-image', image(1), { jobId: 'img-1.clean' });
    // With one job at a time and jobs in order, a second run would come before this one.
    await queue.add('process-image', image(2), { jobId: 'img-2.clean' });
    await waitUntil(() => runs.length >= 2);
    expect(runs).toEqual(['img-1', 'img-2']);
  });

  it('adds jobs in bulk and runs each with its own payload', async () => {
    const seen: string[] = [];
    queue.process('process-image', async (job) => void seen.push(job.payload.imageId));
    const ids = await queue.addBulk('process-image', [
      { payload: image(1), options: { jobId: 'bulk-1' } },
      { payload: image(2), options: { jobId: 'bulk-2' } },
      { payload: image(3) },
    ]);
    expect(ids.slice(0, 2)).toEqual(['bulk-1', 'bulk-2']);
    expect(new Set(ids).size).toBe(3);
    await waitUntil(() => seen.length === 3);
    expect(seen.sort()).toEqual(['img-1', 'img-2', 'img-3']);
  });

  it('retries a job that throws twice, which then succeeds on its third run', async () => {
    const attempts: number[] = [];
    queue.process('process-image', async (job) => {
      attempts.push(job.attempt);
      if (job.attempt < 3) throw new Error(`transient failure ${job.attempt}`);
    });
    await queue.add('process-image', image(1), { jobId: 'flaky' });
    await waitForCounts(queue, { completed: 1 });
    expect(attempts).toEqual([1, 2, 3]);
    expect(await queue.counts('process-image')).toMatchObject({ failed: 0, delayed: 0 });
  });

  it('waits longer before each retry (exponential backoff)', async () => {
    const startedAt: number[] = [];
    queue.process('process-image', async () => {
      startedAt.push(Date.now());
      throw new Error('always fails');
    });
    await queue.add('process-image', image(1));
    await waitForCounts(queue, { failed: 1 });
    const [first, second] = [startedAt[1] - startedAt[0], startedAt[2] - startedAt[1]];
    expect(first).toBeGreaterThanOrEqual(BACKOFF_MS - 5);
    expect(second).toBeGreaterThanOrEqual(2 * BACKOFF_MS - 5);
    expect(second).toBeGreaterThan(first);
  });

  it('lists jobs that used up their attempts, and retries them with fresh attempts', async () => {
    let healthy = false;
    const attempts: number[] = [];
    queue.process('process-image', async (job) => {
      attempts.push(job.attempt);
      if (!healthy) throw new Error(`storage down for ${job.payload.imageId}`);
    });
    await queue.add('process-image', image(1), { jobId: 'doomed-1', attempts: 2 });
    await queue.add('process-image', image(2), { jobId: 'doomed-2', attempts: 1 });
    await waitForCounts(queue, { failed: 2 });

    const failed = await queue.failed('process-image', { limit: 10 });
    expect(failed.map((job) => job.id).sort()).toEqual(['doomed-1', 'doomed-2']);
    expect(failed.find((job) => job.id === 'doomed-1')).toMatchObject({
      payload: image(1),
      attemptsMade: 2,
      error: 'storage down for img-1',
    });
    expect(failed[0].failedAt.getTime()).toBeGreaterThanOrEqual(failed[1].failedAt.getTime());
    expect(await queue.failed('process-image', { offset: 1, limit: 10 })).toHaveLength(1);

    healthy = true;
    attempts.length = 0;
    expect(await queue.retryFailed('process-image', 'doomed-1')).toBe(1);
    expect(await queue.retryFailed('process-image', 'no-such-job')).toBe(0);
    await waitForCounts(queue, { completed: 1, failed: 1 });
    expect(await queue.retryFailed('process-image')).toBe(1);
    await waitForCounts(queue, { completed: 2, failed: 0 });
    expect(attempts).toEqual([1, 1]);
    expect(await queue.failed('process-image')).toEqual([]);
  });

  it('runs a flow parent once, after every child, across queues; adding it again adds nothing', async () => {
    const order: string[] = [];
    queue.process('batch', async (job) => {
      const step = job.payload;
      order.push(step.step === 'chunk' ? `chunk-${step.chunk}` : step.step);
    });
    queue.process('process-image', async (job) => void order.push(job.payload.imageId));
    const flow = () =>
      queue.addFlow(
        { queue: 'batch', payload: { step: 'finish', runId: 'r' }, options: { jobId: 'r.finish' } },
        [
          {
            queue: 'batch',
            payload: { step: 'chunk', runId: 'r', chunk: 0 },
            options: { jobId: 'r.chunk-0' },
          },
          {
            queue: 'batch',
            payload: { step: 'chunk', runId: 'r', chunk: 1 },
            options: { jobId: 'r.chunk-1' },
          },
        ],
      );
    expect(await flow()).toBe('r.finish');
    await waitUntil(() => order.includes('finish'));
    expect(order.sort()).toEqual(['chunk-0', 'chunk-1', 'finish']);
    await flow();
    await queue.add('batch', { step: 'run', runId: 'after' }, { jobId: 'after.run' });
    await waitUntil(() => order.includes('run'));
    expect(order.filter((entry) => entry === 'finish')).toHaveLength(1);
    expect(order.filter((entry) => entry.startsWith('chunk'))).toHaveLength(2);
  });

  it('fails a flow parent without running it when a child fails for good', async () => {
    const ran: string[] = [];
    queue.process('batch', async (job) => {
      ran.push(job.payload.step);
      if (job.payload.step === 'chunk') throw new Error('chunk broke');
    });
    await queue.addFlow(
      { queue: 'batch', payload: { step: 'finish', runId: 'f' }, options: { jobId: 'f.finish' } },
      [
        {
          queue: 'batch',
          payload: { step: 'chunk', runId: 'f', chunk: 0 },
          options: { jobId: 'f.chunk-0', attempts: 1 },
        },
      ],
    );
    await waitUntil(async () => (await queue.counts('batch')).failed === 2);
    expect(ran).toEqual(['chunk']);
    expect(await queue.status('batch', 'f.finish')).toBe('failed');
    // Removed with its child, the flow's ids are free again.
    expect(await queue.remove('batch', 'f.finish')).toBe(true);
    expect(await queue.status('batch', 'f.finish')).toBeNull();
    expect(await queue.status('batch', 'f.chunk-0')).toBeNull();
    expect(await queue.counts('batch')).toMatchObject({ failed: 0 });
  });

  it('tells where a job is, and removes a flow with its children only while none of them runs', async () => {
    expect(await queue.status('batch', 'x.finish')).toBeNull();
    expect(await queue.remove('batch', 'x.finish')).toBe(true);
    const release = deferred();
    const started: string[] = [];
    queue.process(
      'batch',
      async (job) => {
        started.push(job.id);
        await release.promise;
      },
      { concurrency: 1 },
    );
    const flow = () =>
      queue.addFlow(
        { queue: 'batch', payload: { step: 'finish', runId: 'x' }, options: { jobId: 'x.finish' } },
        [0, 1].map((chunk) => ({
          queue: 'batch' as const,
          payload: { step: 'chunk' as const, runId: 'x', chunk },
          options: { jobId: `x.chunk-${chunk}` },
        })),
      );
    await flow();
    await waitUntil(() => started.length === 1);
    expect(await queue.status('batch', 'x.finish')).toBe('waiting-children');
    expect(await queue.status('batch', started[0])).toBe('active');
    expect(await queue.remove('batch', 'x.finish')).toBe(false);
    expect(await queue.status('batch', 'x.finish')).toBe('waiting-children');

    release.resolve();
    await waitUntil(async () => (await queue.status('batch', 'x.finish')) === 'completed');
    expect(await queue.remove('batch', 'x.finish')).toBe(true);
    expect(await queue.status('batch', 'x.chunk-0')).toBeNull();
    // Added again, the whole flow runs again.
    await flow();
    await waitUntil(() => started.length === 6);
    expect(started.filter((id) => id === 'x.finish')).toHaveLength(2);
  });

  it('lists the job schedulers of a queue, from any process, and removes one', async () => {
    const [registering, other] = deployment.replicas;
    const yearly = { cron: '0 0 1 1 *' };
    await registering.schedule('batch', 'batch.a', yearly, { step: 'start', job: 'a' });
    await registering.schedule('batch', 'batch.b', yearly, { step: 'start', job: 'b' });
    expect((await other.schedulerIds('batch')).sort()).toEqual(['batch.a', 'batch.b']);
    expect(await other.schedulerIds('process-image')).toEqual([]);
    await other.unschedule('batch', 'batch.a');
    await other.unschedule('batch', 'batch.none');
    expect(await registering.schedulerIds('batch')).toEqual(['batch.b']);
  });

  it('counts jobs per state', async () => {
    await queue.add('process-image', image(1), { delayMs: 60_000 });
    await queue.add('process-image', image(2), { delayMs: 60_000 });
    await queue.add('process-image', image(3));
    await queue.add('process-image', image(4));
    expect(await queue.counts('process-image')).toEqual({
      waiting: 2,
      active: 0,
      delayed: 2,
      completed: 0,
      failed: 0,
    });
    const release = deferred();
    queue.process('process-image', () => release.promise, { concurrency: 1 });
    await waitForCounts(queue, { waiting: 1, active: 1 });
    release.resolve();
    await waitForCounts(queue, { waiting: 0, active: 0, completed: 2, delayed: 2 });
    expect(await queue.counts('sweep-uploads')).toMatchObject({ waiting: 0, completed: 0 });
  });

  it('dates the waiting job next in line, so its age shows how far behind consumers are', async () => {
    expect(await queue.nextWaitingDueAt('process-image')).toBeNull();
    const firstAdded = Date.now();
    await queue.add('process-image', image(1));
    await sleep(50);
    const secondAdded = Date.now();
    await queue.add('process-image', image(2));
    await queue.add('process-image', image(3), { delayMs: 60_000 });
    const first = (await queue.nextWaitingDueAt('process-image'))!.getTime();
    expect(first).toBeGreaterThanOrEqual(firstAdded);
    expect(first).toBeLessThan(secondAdded);

    const release = deferred();
    queue.process('process-image', () => release.promise, { concurrency: 1 });
    await waitForCounts(queue, { waiting: 1, active: 1 });
    const second = (await queue.nextWaitingDueAt('process-image'))!.getTime();
    expect(second).toBeGreaterThanOrEqual(secondAdded);
    release.resolve();
    await waitForCounts(queue, { waiting: 0, active: 0, completed: 2, delayed: 1 });
    expect(await queue.nextWaitingDueAt('process-image')).toBeNull();
  });

  it('holds jobs while the queue is paused, in every process, and runs them on resume', async () => {
    const [producer, consumer] = deployment.replicas;
    const runs: string[] = [];
    await producer.pause('process-image');
    consumer.process('process-image', async (job) => void runs.push(job.id));
    await producer.add('process-image', image(1), { jobId: 'held' });
    await sleep(500);
    expect(runs).toEqual([]);
    expect(await producer.counts('process-image')).toMatchObject({ waiting: 1, active: 0 });
    await producer.resume('process-image');
    await waitUntil(() => runs.length === 1);
  });

  it('runs no more jobs at once than the consumer concurrency', async () => {
    let running = 0;
    let mostAtOnce = 0;
    queue.process(
      'process-image',
      async () => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await sleep(50);
        running -= 1;
      },
      { concurrency: 3 },
    );
    await queue.addBulk(
      'process-image',
      Array.from({ length: 12 }, (_, n) => ({ payload: image(n) })),
    );
    await waitForCounts(queue, { completed: 12 });
    expect(mostAtOnce).toBe(3);
  });

  it('lets a running job finish when the queue closes', async () => {
    const [closing, observer] = deployment.replicas;
    const started = deferred();
    const release = deferred();
    closing.process('process-image', async () => {
      started.resolve();
      await release.promise;
    });
    await closing.add('process-image', image(1));
    await started.promise;
    let closed = false;
    const close = closing.close().then(() => (closed = true));
    await sleep(300);
    expect(closed).toBe(false);
    release.resolve();
    await close;
    expect(await observer.counts('process-image')).toMatchObject({ active: 0, completed: 1 });
  });

  it('runs again, in another consumer, a job whose worker died mid-run', async () => {
    const [crashing, surviving] = deployment.replicas;
    const started = deferred();
    const crashed = crashing.process('process-image', async () => {
      started.resolve();
      await new Promise(() => undefined);
    });
    await crashing.add('process-image', image(1), { jobId: 'img-1.embed' });
    await started.promise;
    await crashed.close({ force: true });

    const recovered: Job<'process-image'>[] = [];
    surviving.process('process-image', async (job) => void recovered.push(job));
    await waitForCounts(surviving, { completed: 1 });
    expect(recovered).toEqual([{ id: 'img-1.embed', payload: image(1), attempt: 1 }]);
  });

  it('adds the jobs of a scheduler on every interval, and of a cron schedule at its times', async () => {
    let sweeps = 0;
    const images: string[] = [];
    queue.process('sweep-uploads', async () => void (sweeps += 1));
    queue.process('process-image', async (job) => void images.push(job.payload.imageId));
    await queue.schedule('process-image', 'every-second', { cron: '* * * * * *' }, image(1));
    const scheduledAt = performance.now();
    await queue.schedule('sweep-uploads', 'sweep', { everyMs: 300 }, {});
    // Upserting the same scheduler again replaces it: still one job per interval.
    await queue.schedule('sweep-uploads', 'sweep', { everyMs: 300 }, {});
    await waitUntil(() => sweeps >= 4);
    // A busy machine only delays sweeps (none are caught up), so at most one at once and one
    // per interval elapsed (+1 for the upsert); a doubled scheduler adds twice as many.
    const intervals = Math.floor((performance.now() - scheduledAt) / 300);
    expect(sweeps).toBeLessThanOrEqual(intervals + 2);
    await waitUntil(() => images.length >= 2);
    expect(images.slice(0, 2)).toEqual(['img-1', 'img-1']);
  });

  it('is idle here while no job of the queue runs in this process, and says when that ends', async () => {
    const [worker, other] = deployment.replicas;
    await worker.idleHere('process-image', 60_000);
    const started = deferred();
    const release = deferred();
    worker.process('process-image', async () => {
      started.resolve();
      await release.promise;
    });
    await worker.add('process-image', image(1));
    await started.promise;
    let idle = false;
    const waiting = worker.idleHere('process-image', 60_000).then(() => (idle = true));
    // Only this process's own consumers count (the in-process queue has one process), and only
    // the queue asked about.
    if (other !== worker) await other.idleHere('process-image', 60_000);
    await worker.idleHere('batch', 60_000);
    expect(idle).toBe(false);
    release.resolve();
    await waiting;
    expect(idle).toBe(true);
  });

  it('refuses job ids that could clash with generated ones', async () => {
    await expect(queue.add('process-image', image(1), { jobId: '42' })).rejects.toThrow(
      /Invalid job id/,
    );
    await expect(queue.add('process-image', image(1), { jobId: 'a:b' })).rejects.toThrow(
      /Invalid job id/,
    );
  });
});

describe('JobQueue (bullmq) with a worker process killed mid-job', () => {
  const redis = testRedis();
  let replica: Replica;

  beforeAll(async () => {
    replica = await bootReplica({
      ...QUEUE_SETTINGS,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
    });
  });
  afterAll(async () => {
    await replica.close();
    await deleteRedisKeys(redis);
  });

  it('runs the job again in a surviving worker', async () => {
    const worker = startCrashingWorker(redis);
    try {
      await replica.jobQueue.add('process-image', image(7), { jobId: 'img-7.predict' });
      await worker.started('img-7.predict');
    } finally {
      worker.process.kill('SIGKILL');
    }
    const recovered: Job<'process-image'>[] = [];
    replica.jobQueue.process('process-image', async (job) => void recovered.push(job));
    await waitForCounts(replica.jobQueue, { completed: 1, active: 0 });
    expect(recovered).toEqual([{ id: 'img-7.predict', payload: image(7), attempt: 1 }]);
  });
});

/**
 * A worker in a process of its own, on the adapter itself, whose jobs never finish; it
 * prints the id of each job it starts.
 */
function startCrashingWorker(redis: { url: string; prefix: string }) {
  const script = `
    const { BullMqJobQueue } = require('./src/modules/queue/bullmq-job-queue');
    const { connectProducer } = require('./src/modules/queue/bullmq-options');
    const redis = ${JSON.stringify(redis)};
    connectProducer(redis).then((producer) => {
      const settings = { redis, queue: { concurrency: 1, attempts: 3, backoffMs: 100 }, lock: ${JSON.stringify(SHORT_LOCK)} };
      new BullMqJobQueue([], producer, settings).process('process-image', (job) => {
        console.log('started ' + job.id);
        return new Promise(() => undefined);
      });
    });`;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', script], {
    cwd: resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    process: child,
    started: (jobId: string) => waitUntil(() => output.includes(`started ${jobId}`), 30_000),
  };
}

describe('JobQueue (bullmq) while Redis is down', () => {
  let replica: Replica;

  beforeAll(async () => {
    replica = await bootReplica({ REDIS_URL: UNREACHABLE_REDIS_URL, REDIS_PREFIX: 'unreachable' });
  });
  afterAll(() => replica.close());

  it('rejects add() at once with an error the caller can answer (503)', async () => {
    const startedAt = Date.now();
    const error = await replica.jobQueue.add('process-image', image(1)).catch((e: unknown) => e);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(error).toBeInstanceOf(QueueUnavailableError);
    await expect(
      replica.jobQueue.addBulk('process-image', [{ payload: image(2) }]),
    ).rejects.toThrow(QueueUnavailableError);
  });

  it('fails its readiness check', async () => {
    const [name, check] = replica.readiness.entries()[0];
    expect(name).toBe('queue');
    await expect(check({ signal: AbortSignal.timeout(2000) })).rejects.toThrow(
      QueueUnavailableError,
    );
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function waitForCounts(queue: JobQueue, expected: Partial<QueueCounts>) {
  let last: Partial<QueueCounts> = {};
  await waitUntil(async () => {
    last = await queue.counts('process-image');
    return Object.entries(expected).every(([state, n]) => last[state as keyof QueueCounts] === n);
  }).catch(() => {
    throw new Error(`Counts ${JSON.stringify(last)} never matched ${JSON.stringify(expected)}`);
  });
}
