import { Logger, OnModuleDestroy } from '@nestjs/common';
import { FlowProducer, JobsOptions, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisConfig } from '../../config';
import {
  connectProducer,
  jobOptions,
  producerQueueOptions,
  QueueSettings,
  WorkerLock,
  workerOptions,
} from './bullmq-options';
import { assertJobId } from './job-policy';
import {
  Consumer,
  ConsumerOptions,
  FailedJob,
  FlowJob,
  JobHandler,
  JobOptions,
  JobQueue,
  JobStatus,
  NewJob,
  Page,
  QueueCounts,
  Schedule,
} from './job-queue';
import { QUEUE_NAMES, QueueName, QueuePayloads } from './queues';
import { QueueUnavailableError } from './queue-unavailable';

export interface BullMqSettings {
  redis: RedisConfig;
  queue: QueueSettings;
  lock: WorkerLock;
}

const COUNTED_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;

/**
 * BullMQ on Redis. Producers are one `Queue` per queue name, all on one fail-fast connection;
 * each `process()` starts a plain BullMQ `Worker` with its own connections, so a crashed
 * worker's jobs are recovered by the others (stalled-job check).
 */
export class BullMqJobQueue extends JobQueue implements OnModuleDestroy {
  private readonly logger = new Logger(BullMqJobQueue.name);
  private readonly queues: Map<string, Queue>;
  private readonly workers = new Set<Worker>();
  private readonly flows: FlowProducer;
  /** Every job scheduler registered here, by queue and id: registered again on each reconnect. */
  private readonly schedulers = new Map<string, () => Promise<unknown>>();
  private redisDown = false;
  private closed = false;

  /** Connects the producer and opens every queue of `QUEUE_NAMES` on it. */
  static async connect(settings: BullMqSettings): Promise<BullMqJobQueue> {
    const producer = await connectProducer(settings.redis);
    const options = producerQueueOptions(settings.redis, settings.queue, producer);
    const queues = QUEUE_NAMES.map((name) => new Queue(name, options));
    return new BullMqJobQueue(queues, producer, settings);
  }

  constructor(
    queues: Queue[],
    private readonly producer: Redis,
    private readonly settings: BullMqSettings,
  ) {
    super();
    this.queues = new Map(queues.map((queue) => [queue.name, queue]));
    this.flows = new FlowProducer({ connection: producer, prefix: settings.redis.prefix });
    this.flows.on('error', () => undefined);
    // Connection errors reach every queue on the shared connection; they are logged once below.
    for (const queue of queues) queue.on('error', () => undefined);
    producer.on('error', (error: Error) => this.reportDown(error));
    producer.on('ready', () => this.onReady());
  }

  async add<Q extends QueueName>(
    queue: Q,
    payload: QueuePayloads[Q],
    options: JobOptions = {},
  ): Promise<string> {
    const bullOptions = this.toBullOptions(options);
    const job = await this.produce(() => this.queue(queue).add(queue, payload, bullOptions));
    return job.id!;
  }

  async addBulk<Q extends QueueName>(queue: Q, jobs: NewJob<Q>[]): Promise<string[]> {
    const bulk = jobs.map(({ payload, options = {} }) => ({
      name: queue,
      data: payload,
      opts: this.toBullOptions(options),
    }));
    const added = await this.produce(() => this.queue(queue).addBulk(bulk));
    return added.map((job) => job.id!);
  }

  async addFlow<P extends QueueName, C extends QueueName>(
    parent: FlowJob<P>,
    children: FlowJob<C>[],
  ): Promise<string> {
    const node = ({ queue, payload, options = {} }: FlowJob<QueueName>) => ({
      name: queue,
      queueName: queue,
      data: payload,
      opts: { ...jobOptions(this.settings.queue), ...this.toBullOptions(options) },
    });
    const flow = await this.produce(() =>
      this.flows.add({
        ...node(parent),
        children: children.map((child) => {
          const job = node(child);
          return { ...job, opts: { ...job.opts, failParentOnFailure: true } };
        }),
      }),
    );
    return flow.job.id!;
  }

  process<Q extends QueueName>(
    queue: Q,
    handler: JobHandler<Q>,
    options: ConsumerOptions = {},
  ): Consumer {
    if (this.closed) throw new Error('The job queue is closed');
    const concurrency = options.concurrency ?? this.settings.queue.concurrency;
    const counted = this.runningHere.counted(queue, handler);
    const worker = new Worker<QueuePayloads[Q]>(
      queue,
      (job) => counted({ id: job.id!, payload: job.data, attempt: job.attemptsMade + 1 }),
      workerOptions(this.settings.redis, concurrency, this.settings.lock),
    );
    worker.on('error', (error) => this.logger.error(`Worker of ${queue}: ${error.message}`));
    worker.on('failed', (job, error) => {
      const attempts = job ? `${job.attemptsMade}/${job.opts.attempts ?? 1}` : '?';
      this.logger.warn(`Job ${queue}/${job?.id} failed attempt ${attempts}: ${error.message}`);
    });
    this.workers.add(worker);
    return {
      close: async ({ force = false } = {}) => {
        this.workers.delete(worker);
        await worker.close(force);
      },
    };
  }

  /** The producer queues, for tools that speak BullMQ itself. */
  producerQueues(): Queue[] {
    return [...this.queues.values()];
  }

  async counts(queue: QueueName): Promise<QueueCounts> {
    const counts = await this.produce(() => this.queue(queue).getJobCounts(...COUNTED_STATES));
    return Object.fromEntries(
      COUNTED_STATES.map((state) => [state, counts[state] ?? 0]),
    ) as QueueCounts;
  }

  async nextWaitingDueAt(queue: QueueName): Promise<Date | null> {
    // Ascending: the end of the wait list that consumers take from.
    const [next] = await this.produce(() => this.queue(queue).getJobs(['wait'], 0, 0, true));
    return next ? new Date(next.timestamp + (next.delay ?? 0)) : null;
  }

  async failed<Q extends QueueName>(queue: Q, page: Page = {}): Promise<FailedJob<Q>[]> {
    const offset = page.offset ?? 0;
    const jobs = await this.produce(() =>
      this.queue(queue).getFailed(offset, offset + (page.limit ?? 50) - 1),
    );
    return jobs.map((job) => ({
      id: job.id!,
      payload: job.data,
      attemptsMade: job.attemptsMade,
      error: job.failedReason,
      failedAt: new Date(job.finishedOn ?? 0),
    }));
  }

  async retryFailed(queue: QueueName, jobId?: string): Promise<number> {
    const bullQueue = this.queue(queue);
    return this.produce(async () => {
      const ids = jobId === undefined ? await bullQueue.getRanges(['failed'], 0, -1) : [jobId];
      let retried = 0;
      for (const id of ids) {
        const job = await bullQueue.getJob(id);
        if (!job || !(await job.isFailed())) continue;
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        retried += 1;
      }
      return retried;
    });
  }

  async status(queue: QueueName, jobId: string): Promise<JobStatus | null> {
    const state = await this.produce(() => this.queue(queue).getJobState(jobId));
    if (state === 'unknown') return null;
    return state === 'prioritized' ? 'waiting' : state;
  }

  async remove(queue: QueueName, jobId: string): Promise<boolean> {
    const removed = await this.produce(() =>
      this.queue(queue).remove(jobId, { removeChildren: true }),
    );
    return removed === 1;
  }

  async pause(queue: QueueName): Promise<void> {
    await this.produce(() => this.queue(queue).pause());
  }

  async resume(queue: QueueName): Promise<void> {
    await this.produce(() => this.queue(queue).resume());
  }

  async schedule<Q extends QueueName>(
    queue: Q,
    schedulerId: string,
    schedule: Schedule,
    payload: QueuePayloads[Q],
  ): Promise<void> {
    assertJobId(schedulerId);
    const repeat =
      'everyMs' in schedule ? { every: schedule.everyMs } : { pattern: schedule.cron, tz: 'UTC' };
    const upsert = () =>
      this.queue(queue).upsertJobScheduler(schedulerId, repeat, {
        name: queue,
        data: payload,
        opts: jobOptions(this.settings.queue),
      });
    // Kept before trying: a Redis that is down now gets it on reconnecting.
    this.schedulers.set(`${queue}/${schedulerId}`, upsert);
    await this.produce(upsert);
  }

  async schedulerIds(queue: QueueName): Promise<string[]> {
    const schedulers = await this.produce(() => this.queue(queue).getJobSchedulers(0, -1));
    return schedulers.map((scheduler) => scheduler.key);
  }

  async unschedule(queue: QueueName, schedulerId: string): Promise<void> {
    // Forgotten first: a reconnect must not bring it back.
    this.schedulers.delete(`${queue}/${schedulerId}`);
    await this.produce(() => this.queue(queue).removeJobScheduler(schedulerId));
  }

  async ping(): Promise<void> {
    await this.produce(() => this.producer.ping());
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers].map((worker) => worker.close()));
    this.workers.clear();
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await this.flows.close();
    if (this.producer.status === 'ready') await this.producer.quit();
    else this.producer.disconnect();
  }

  /**
   * Lets running jobs finish before other modules (database, storage) close, which they do
   * in onApplicationShutdown.
   */
  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  private queue(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`Queue "${name}" is not registered (see QUEUE_NAMES)`);
    return queue;
  }

  private toBullOptions(options: JobOptions): JobsOptions {
    if (options.jobId !== undefined) assertJobId(options.jobId);
    // Only the options given: an undefined key would override the queue's defaults.
    return {
      ...(options.jobId !== undefined && { jobId: options.jobId }),
      ...(options.delayMs !== undefined && { delay: options.delayMs }),
      ...(options.attempts !== undefined && { attempts: options.attempts }),
    };
  }

  /** Runs a producer command; Redis being unreachable becomes a 503 the caller can act on. */
  private async produce<T>(command: () => Promise<T>): Promise<T> {
    // Not even sent while disconnected: the answer is known, and sending would leave a timer.
    if (this.producer.status !== 'ready') throw new QueueUnavailableError();
    try {
      return await command();
    } catch (error) {
      if (!this.isUnavailable(error)) throw error;
      this.reportDown(error as Error);
      throw new QueueUnavailableError();
    }
  }

  private isUnavailable(error: unknown): boolean {
    const message = error instanceof Error ? error.message : '';
    return (
      this.producer.status !== 'ready' ||
      // "Stream isn't writeable": the socket died before the client noticed (status still ready).
      /timed out|connection is closed|max retries|isn't writeable|ECONNREFUSED|ECONNRESET/i.test(
        message,
      )
    );
  }

  private reportDown(error: Error): void {
    if (this.redisDown) return;
    this.redisDown = true;
    this.logger.error(`Redis unreachable for the job queue: ${error.message}`);
  }

  /**
   * Connected, or connected again. A Redis that came back may have come back empty (no
   * persistence): every job scheduler registered here is upserted again (idempotent).
   */
  private onReady(): void {
    this.reportUp();
    for (const [name, upsert] of this.schedulers) {
      this.produce(upsert).catch((error: Error) =>
        this.logger.warn(`Job scheduler ${name} not registered again: ${error.message}`),
      );
    }
  }

  private reportUp(): void {
    if (!this.redisDown) return;
    this.redisDown = false;
    this.logger.log('Redis reachable again for the job queue');
  }
}
