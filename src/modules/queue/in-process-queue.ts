import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MAX_STALLED_COUNT, RETENTION, retryDelayMs } from './job-policy';
import { Consumer, FailedJob, Job, JobStatus, QueueCounts } from './job-queue';
import { QueueName } from './queues';

/** A job of some queue: a flow's parent (which its children report to) or one of its children. */
export interface JobRef {
  queue: InProcessQueue;
  id: string;
}

interface StoredJob {
  id: string;
  /** JSON, as on Redis: every attempt gets its own copy and non-JSON data fails early. */
  payloadJson: string;
  /** Epoch ms: when it was added, plus its delay (as BullMQ's `timestamp + delay`). */
  dueAt: number;
  maxAttempts: number;
  attemptsMade: number;
  stalls: number;
  state: JobStatus;
  error?: string;
  finishedAt?: number;
  /** Identifies the running attempt; the outcome of an abandoned attempt is ignored. */
  run?: object;
  parent?: JobRef;
  /** A flow's parent: children not completed yet (it waits while above 0). */
  pendingChildren?: number;
  /** A flow's parent: its children, removed with it. */
  children?: JobRef[];
}

type UntypedHandler = (job: Job<QueueName>) => Promise<void>;

interface LocalConsumer {
  handler: UntypedHandler;
  concurrency: number;
  running: Map<StoredJob, Promise<void>>;
}

export interface StoredJobOptions {
  jobId?: string;
  delayMs?: number;
  attempts: number;
  parent?: JobRef;
  /** Makes the job a flow's parent, waiting for this many children. */
  children?: number;
}

/** One queue held in memory: the states, retries and recovery of BullMQ, in one process. */
export class InProcessQueue {
  private readonly logger = new Logger(InProcessQueue.name);
  private readonly jobs = new Map<string, StoredJob>();
  private readonly waiting: StoredJob[] = [];
  private readonly active = new Set<StoredJob>();
  private readonly delayed = new Map<StoredJob, NodeJS.Timeout>();
  /** Oldest first, for retention. */
  private readonly completed: StoredJob[] = [];
  private readonly failedJobs: StoredJob[] = [];
  private readonly consumers = new Set<LocalConsumer>();
  private paused = false;
  private closed = false;

  constructor(
    private readonly name: QueueName,
    private readonly backoffMs: number,
  ) {}

  add(payload: unknown, options: StoredJobOptions): string {
    const id = options.jobId ?? randomUUID();
    if (this.jobs.has(id)) return id;
    const job: StoredJob = {
      id,
      payloadJson: JSON.stringify(payload),
      dueAt: Date.now() + (options.delayMs ?? 0),
      maxAttempts: options.attempts,
      attemptsMade: 0,
      stalls: 0,
      state: 'waiting',
      parent: options.parent,
      pendingChildren: options.children || undefined,
    };
    this.jobs.set(id, job);
    if (job.pendingChildren) job.state = 'waiting-children';
    else if (options.delayMs) this.delay(job, options.delayMs);
    else this.enqueue(job);
    return id;
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  status(jobId: string): JobStatus | null {
    return this.jobs.get(jobId)?.state ?? null;
  }

  /** Records the children of the flow parent `parentId`, to be removed with it. */
  adoptChildren(parentId: string, children: JobRef[]): void {
    const parent = this.jobs.get(parentId);
    if (parent) parent.children = children;
  }

  /** As BullMQ's `remove` with its children: nothing is removed while one of them runs. */
  remove(jobId: string): boolean {
    const family = this.family({ queue: this, id: jobId });
    if (family.some(({ queue, id }) => queue.jobs.get(id)?.state === 'active')) return false;
    for (const { queue, id } of family) queue.drop(id);
    return true;
  }

  /** A child of the flow parent `parentId` completed: the last one releases the parent. */
  childCompleted(parentId: string): void {
    const parent = this.jobs.get(parentId);
    if (parent?.state !== 'waiting-children' || !parent.pendingChildren) return;
    parent.pendingChildren -= 1;
    if (parent.pendingChildren === 0) this.enqueue(parent);
  }

  /** A child failed for good: so does its parent (BullMQ's `failParentOnFailure`). */
  childFailed(parentId: string, childId: string): void {
    const parent = this.jobs.get(parentId);
    if (parent?.state !== 'waiting-children') return;
    parent.error = `child ${childId} failed`;
    this.finish(parent, 'failed', this.failedJobs, RETENTION.failed);
  }

  consume(handler: UntypedHandler, concurrency: number): Consumer {
    const consumer: LocalConsumer = { handler, concurrency, running: new Map() };
    this.consumers.add(consumer);
    setImmediate(() => this.dispatch());
    return {
      close: async ({ force = false } = {}) => {
        this.consumers.delete(consumer);
        if (force) this.abandon(consumer);
        else await Promise.all(consumer.running.values());
      },
    };
  }

  counts(): QueueCounts {
    return {
      waiting: this.waiting.length,
      active: this.active.size,
      delayed: this.delayed.size,
      completed: this.completed.length,
      failed: this.failedJobs.length,
    };
  }

  nextWaitingDueAt(): Date | null {
    return this.waiting.length > 0 ? new Date(this.waiting[0].dueAt) : null;
  }

  failed(offset: number, limit: number): FailedJob<QueueName>[] {
    return this.failedJobs
      .slice()
      .reverse()
      .slice(offset, offset + limit)
      .map((job) => ({
        id: job.id,
        payload: JSON.parse(job.payloadJson),
        attemptsMade: job.attemptsMade,
        error: job.error ?? '',
        failedAt: new Date(job.finishedAt ?? 0),
      }));
  }

  retryFailed(jobId?: string): number {
    const targets = this.failedJobs.filter((job) => jobId === undefined || job.id === jobId);
    for (const job of targets) {
      this.failedJobs.splice(this.failedJobs.indexOf(job), 1);
      Object.assign(job, { attemptsMade: 0, stalls: 0, error: undefined, finishedAt: undefined });
      this.enqueue(job);
    }
    return targets.length;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.dispatch();
  }

  /** Waits for running jobs; jobs still waiting or delayed are dropped with the process. */
  async close(): Promise<void> {
    this.closed = true;
    const consumers = [...this.consumers];
    this.consumers.clear();
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    await Promise.all(consumers.flatMap((consumer) => [...consumer.running.values()]));
  }

  /** The job and its flow descendants, parents first. */
  private family(ref: JobRef): JobRef[] {
    const children = ref.queue.jobs.get(ref.id)?.children ?? [];
    return [ref, ...children.flatMap((child) => this.family(child))];
  }

  /** Forgets a job in whatever state it is (not active); a parent still waiting is told. */
  private drop(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    this.jobs.delete(jobId);
    clearTimeout(this.delayed.get(job));
    this.delayed.delete(job);
    for (const list of [this.waiting, this.completed, this.failedJobs]) {
      const at = list.indexOf(job);
      if (at >= 0) list.splice(at, 1);
    }
    // As BullMQ's: a removed child no longer holds its parent back.
    if (job.parent && job.state !== 'completed') job.parent.queue.childCompleted(job.parent.id);
  }

  private enqueue(job: StoredJob): void {
    job.state = 'waiting';
    this.waiting.push(job);
    this.dispatch();
  }

  private delay(job: StoredJob, ms: number): void {
    job.state = 'delayed';
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.delayed.delete(job);
      this.enqueue(job);
    }, ms);
    this.delayed.set(job, timer);
  }

  private dispatch(): void {
    if (this.paused) return;
    for (const consumer of this.consumers) {
      while (consumer.running.size < consumer.concurrency && this.waiting.length > 0) {
        this.start(consumer, this.waiting.shift()!);
      }
    }
  }

  private start(consumer: LocalConsumer, job: StoredJob): void {
    const run = {};
    job.run = run;
    job.state = 'active';
    this.active.add(job);
    const attempt = {
      id: job.id,
      payload: JSON.parse(job.payloadJson),
      attempt: job.attemptsMade + 1,
    };
    const settled = Promise.resolve()
      .then(() => consumer.handler(attempt))
      .then(
        () => this.succeed(job, run),
        (error: unknown) => this.fail(job, run, error),
      )
      .finally(() => {
        if (consumer.running.get(job) === settled) consumer.running.delete(job);
        this.dispatch();
      });
    consumer.running.set(job, settled);
  }

  private succeed(job: StoredJob, run: object): void {
    if (job.run !== run) return;
    this.finish(job, 'completed', this.completed, RETENTION.completed);
  }

  private fail(job: StoredJob, run: object, error: unknown): void {
    if (job.run !== run) return;
    this.active.delete(job);
    job.attemptsMade += 1;
    job.error = error instanceof Error ? error.message : String(error);
    this.logger.warn(
      `Job ${this.name}/${job.id} failed attempt ${job.attemptsMade}/${job.maxAttempts}: ${job.error}`,
    );
    if (job.attemptsMade < job.maxAttempts) {
      job.run = undefined;
      this.delay(job, retryDelayMs(this.backoffMs, job.attemptsMade));
    } else {
      this.finish(job, 'failed', this.failedJobs, RETENTION.failed);
    }
  }

  /** As when a worker dies: its running jobs go back to waiting, or fail after too many stalls. */
  private abandon(consumer: LocalConsumer): void {
    for (const job of consumer.running.keys()) {
      if (job.state !== 'active') continue; // finished, its bookkeeping just not done yet
      this.active.delete(job);
      job.run = undefined;
      job.stalls += 1;
      if (job.stalls > MAX_STALLED_COUNT) {
        job.error = 'job stalled more than allowable limit';
        this.finish(job, 'failed', this.failedJobs, RETENTION.failed);
      } else {
        job.state = 'waiting';
        this.waiting.unshift(job);
      }
    }
    consumer.running.clear();
    this.dispatch();
  }

  private finish(
    job: StoredJob,
    state: 'completed' | 'failed',
    list: StoredJob[],
    retention: { ageS: number; count: number },
  ): void {
    this.active.delete(job);
    job.run = undefined;
    job.state = state;
    job.finishedAt = Date.now();
    list.push(job);
    if (job.parent && state === 'completed') job.parent.queue.childCompleted(job.parent.id);
    if (job.parent && state === 'failed') job.parent.queue.childFailed(job.parent.id, job.id);
    const oldestKept = job.finishedAt - retention.ageS * 1000;
    while (list.length > retention.count || list[0].finishedAt! < oldestKept) {
      this.jobs.delete(list.shift()!.id);
    }
  }
}
