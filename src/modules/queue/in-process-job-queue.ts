import { Logger, OnModuleDestroy } from '@nestjs/common';
import { CronExpressionParser } from 'cron-parser';
import type { AppConfig } from '../../config';
import { InProcessQueue } from './in-process-queue';
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
import { QueueName, QueuePayloads } from './queues';
import { QueueUnavailableError } from './queue-unavailable';

type QueueSettings = AppConfig['queue'];

/** setTimeout's longest delay; later runs are reached in several hops. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The embedded default (`ROLE=all` without `REDIS_URL`): BullMQ's semantics (idempotent ids,
 * retries with exponential backoff, per-consumer concurrency, failed set, pause) in memory.
 * Jobs do not outlive the process; a consumer closed with `force` gives its running jobs
 * back to the queue, as a crashed BullMQ worker does.
 */
export class InProcessJobQueue extends JobQueue implements OnModuleDestroy {
  private readonly logger = new Logger(InProcessJobQueue.name);
  private readonly queues = new Map<QueueName, InProcessQueue>();
  private readonly schedules = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly settings: QueueSettings) {
    super();
  }

  async add<Q extends QueueName>(
    queue: Q,
    payload: QueuePayloads[Q],
    options: JobOptions = {},
  ): Promise<string> {
    if (this.closed) throw new QueueUnavailableError();
    if (options.jobId !== undefined) assertJobId(options.jobId);
    return this.queue(queue).add(payload, {
      jobId: options.jobId,
      delayMs: options.delayMs,
      attempts: options.attempts ?? this.settings.attempts,
    });
  }

  async addBulk<Q extends QueueName>(queue: Q, jobs: NewJob<Q>[]): Promise<string[]> {
    if (this.closed) throw new QueueUnavailableError();
    for (const { options } of jobs) if (options?.jobId !== undefined) assertJobId(options.jobId);
    return Promise.all(jobs.map(({ payload, options }) => this.add(queue, payload, options)));
  }

  /** As BullMQ's, except that a parent already known adds nothing, not even missing children. */
  async addFlow<P extends QueueName, C extends QueueName>(
    parent: FlowJob<P>,
    children: FlowJob<C>[],
  ): Promise<string> {
    if (this.closed) throw new QueueUnavailableError();
    for (const job of [parent, ...children]) {
      if (job.options?.jobId !== undefined) assertJobId(job.options.jobId);
    }
    const parentQueue = this.queue(parent.queue);
    if (parent.options?.jobId !== undefined && parentQueue.has(parent.options.jobId)) {
      return parent.options.jobId;
    }
    const parentId = parentQueue.add(parent.payload, {
      jobId: parent.options?.jobId,
      attempts: parent.options?.attempts ?? this.settings.attempts,
      children: children.length,
    });
    const childRefs = children.map((child) => {
      const queue = this.queue(child.queue);
      const id = queue.add(child.payload, {
        jobId: child.options?.jobId,
        attempts: child.options?.attempts ?? this.settings.attempts,
        parent: { queue: parentQueue, id: parentId },
      });
      return { queue, id };
    });
    parentQueue.adoptChildren(parentId, childRefs);
    return parentId;
  }

  process<Q extends QueueName>(
    queue: Q,
    handler: JobHandler<Q>,
    options: ConsumerOptions = {},
  ): Consumer {
    if (this.closed) throw new Error('The job queue is closed');
    return this.queue(queue).consume(
      this.runningHere.counted(queue, handler) as JobHandler<QueueName>,
      options.concurrency ?? this.settings.concurrency,
    );
  }

  async counts(queue: QueueName): Promise<QueueCounts> {
    return this.queue(queue).counts();
  }

  async nextWaitingDueAt(queue: QueueName): Promise<Date | null> {
    return this.queue(queue).nextWaitingDueAt();
  }

  async failed<Q extends QueueName>(queue: Q, page: Page = {}): Promise<FailedJob<Q>[]> {
    return this.queue(queue).failed(page.offset ?? 0, page.limit ?? 50) as FailedJob<Q>[];
  }

  async retryFailed(queue: QueueName, jobId?: string): Promise<number> {
    return this.queue(queue).retryFailed(jobId);
  }

  async status(queue: QueueName, jobId: string): Promise<JobStatus | null> {
    return this.queue(queue).status(jobId);
  }

  async remove(queue: QueueName, jobId: string): Promise<boolean> {
    return this.queue(queue).remove(jobId);
  }

  async pause(queue: QueueName): Promise<void> {
    this.queue(queue).pause();
  }

  async resume(queue: QueueName): Promise<void> {
    this.queue(queue).resume();
  }

  async schedule<Q extends QueueName>(
    queue: Q,
    schedulerId: string,
    schedule: Schedule,
    payload: QueuePayloads[Q],
  ): Promise<void> {
    if (this.closed) throw new QueueUnavailableError();
    assertJobId(schedulerId);
    const key = `${queue}/${schedulerId}`;
    clearTimeout(this.schedules.get(key));
    const fire = (at: number) => {
      this.add(queue, payload, { jobId: `${schedulerId}.${at}` }).catch((error: Error) => {
        this.logger.error(`Scheduler ${key} could not add its job: ${error.message}`);
      });
    };
    const arm = (at: number) => {
      const timer = setTimeout(
        () => {
          if (Date.now() < at) return arm(at);
          fire(at);
          arm(nextRun(schedule, Date.now()));
        },
        Math.min(at - Date.now(), MAX_TIMER_MS),
      );
      this.schedules.set(key, timer);
    };
    // As BullMQ's: `every` runs are aligned to multiples of the interval and the first one is
    // added at once (under an id that makes upserting again within the interval a no-op).
    const now = Date.now();
    if ('everyMs' in schedule) fire(now - (now % schedule.everyMs));
    arm(nextRun(schedule, now));
  }

  async schedulerIds(queue: QueueName): Promise<string[]> {
    const prefix = `${queue}/`;
    return [...this.schedules.keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length));
  }

  async unschedule(queue: QueueName, schedulerId: string): Promise<void> {
    const key = `${queue}/${schedulerId}`;
    clearTimeout(this.schedules.get(key));
    this.schedules.delete(key);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new QueueUnavailableError();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.schedules.values()) clearTimeout(timer);
    this.schedules.clear();
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }

  /** Lets running jobs finish before other modules (database, storage) close. */
  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  private queue(name: QueueName): InProcessQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new InProcessQueue(name, this.settings.backoffMs);
      this.queues.set(name, queue);
    }
    return queue;
  }
}

function nextRun(schedule: Schedule, now: number): number {
  if ('everyMs' in schedule) return now - (now % schedule.everyMs) + schedule.everyMs;
  return CronExpressionParser.parse(schedule.cron, { currentDate: new Date(now), tz: 'UTC' })
    .next()
    .getTime();
}
