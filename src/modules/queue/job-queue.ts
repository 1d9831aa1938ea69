import { JobsRunningHere } from './jobs-running-here';
import { QueueName, QueuePayloads } from './queues';

export interface JobOptions {
  /**
   * Makes the add idempotent: adding an id that is still known (waiting, delayed, active,
   * failed, or completed within the retention window) does nothing. See `assertJobId`.
   */
  jobId?: string;
  /** Runs the job no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** Attempts before the job lands in the failed set (default: `QUEUE_ATTEMPTS`). */
  attempts?: number;
}

export interface NewJob<Q extends QueueName> {
  payload: QueuePayloads[Q];
  options?: JobOptions;
}

/** A job of a flow: a parent or one of its children, each on its own queue. */
export interface FlowJob<Q extends QueueName> extends NewJob<Q> {
  queue: Q;
}

/** What a handler is given for one attempt of a job. */
export interface Job<Q extends QueueName> {
  id: string;
  payload: QueuePayloads[Q];
  /** 1 on the first attempt; a job recovered from a crashed worker keeps its number. */
  attempt: number;
}

/** Resolves when the job is done; a rejection is a failed attempt (retried with backoff). */
export type JobHandler<Q extends QueueName> = (job: Job<Q>) => Promise<void>;

export interface ConsumerOptions {
  /** Jobs of this queue this process runs at once (default: `QUEUE_CONCURRENCY`). */
  concurrency?: number;
}

/** A registered consumer of one queue. */
export interface Consumer {
  /**
   * Stops taking jobs and waits for the running ones to finish. With `force`, running jobs
   * are abandoned as if the process had crashed: another consumer runs them again.
   */
  close(options?: { force?: boolean }): Promise<void>;
}

export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

export type QueueCounts = Record<JobState, number>;

/** Where one job is: a counted state, or a flow parent waiting for its children. */
export type JobStatus = JobState | 'waiting-children';

export interface FailedJob<Q extends QueueName> {
  id: string;
  payload: QueuePayloads[Q];
  attemptsMade: number;
  error: string;
  failedAt: Date;
}

export interface Page {
  offset?: number;
  limit?: number;
}

/** When a scheduler adds its job: every `everyMs`, or on a cron expression read in UTC. */
export type Schedule = { everyMs: number } | { cron: string };

/**
 * Named job queues, one payload type per queue (see `QueuePayloads`): BullMQ on Redis, or
 * in-process on the embedded default. Producer calls reject with `QueueUnavailableError`
 * ('queue_unavailable') when the queue cannot take the work right now, so the caller can
 * answer 503 or leave the work to a reconciler.
 */
export abstract class JobQueue {
  /** Adapters count what their consumers run here through it (`process`). */
  protected readonly runningHere = new JobsRunningHere();

  /**
   * Resolves once no job of `queue` runs in this process, or after `maxWaitMs`: how work of
   * lower priority in a worker yields to a queue's consumers.
   */
  idleHere(queue: QueueName, maxWaitMs: number): Promise<void> {
    return this.runningHere.idle(queue, maxWaitMs);
  }

  /**
   * Whether no job of `queue` has run in this process for `quietMs`, waiting at most
   * `maxWaitMs` for it: how work of lower priority takes more of a worker only while a queue's
   * consumers have nothing to do.
   */
  quietHere(queue: QueueName, quietMs: number, maxWaitMs: number): Promise<boolean> {
    return this.runningHere.quiet(queue, quietMs, maxWaitMs);
  }

  /** Resolves with the job id once the job is stored. */
  abstract add<Q extends QueueName>(
    queue: Q,
    payload: QueuePayloads[Q],
    options?: JobOptions,
  ): Promise<string>;

  /** Adds several jobs at once (atomically on Redis); resolves with their ids in order. */
  abstract addBulk<Q extends QueueName>(queue: Q, jobs: NewJob<Q>[]): Promise<string[]>;

  /**
   * A flow (BullMQ's): `children` run as usual, `parent` waits until every child has completed
   * and then runs; a child that fails for good fails the parent without running it. Give every
   * job an id: adding the flow again then adds nothing already known. Resolves with the
   * parent's id.
   */
  abstract addFlow<P extends QueueName, C extends QueueName>(
    parent: FlowJob<P>,
    children: FlowJob<C>[],
  ): Promise<string>;

  /** Registers a consumer of `queue` in this process; only worker-role modules do this. */
  abstract process<Q extends QueueName>(
    queue: Q,
    handler: JobHandler<Q>,
    options?: ConsumerOptions,
  ): Consumer;

  abstract counts(queue: QueueName): Promise<QueueCounts>;

  /**
   * When the waiting job next in line became due (added, plus the delay it was added with);
   * null when none waits. Its age says how far behind the consumers are.
   */
  abstract nextWaitingDueAt(queue: QueueName): Promise<Date | null>;

  /** Failed jobs, most recent first. */
  abstract failed<Q extends QueueName>(queue: Q, page?: Page): Promise<FailedJob<Q>[]>;

  /**
   * Moves one failed job (or every failed job) back to waiting with a fresh set of attempts;
   * resolves with how many moved.
   */
  abstract retryFailed(queue: QueueName, jobId?: string): Promise<number>;

  /** Where the job `jobId` is; null when the queue does not know it (never added, or gone). */
  abstract status(queue: QueueName, jobId: string): Promise<JobStatus | null>;

  /**
   * Removes a job that is not running, with its flow children (its id is then free again);
   * false, with nothing removed, when it or one of its children is running. A job the queue
   * does not know counts as removed.
   */
  abstract remove(queue: QueueName, jobId: string): Promise<boolean>;

  /** Stops every consumer of the queue (in every process) from taking new jobs. */
  abstract pause(queue: QueueName): Promise<void>;

  abstract resume(queue: QueueName): Promise<void>;

  /** Creates or replaces the scheduler `schedulerId`, which adds `payload` on `schedule`. */
  abstract schedule<Q extends QueueName>(
    queue: Q,
    schedulerId: string,
    schedule: Schedule,
    payload: QueuePayloads[Q],
  ): Promise<void>;

  /** Ids of the queue's job schedulers, whoever registered them (on Redis: every boot's). */
  abstract schedulerIds(queue: QueueName): Promise<string[]>;

  /** Removes the scheduler `schedulerId` and the next job it had planned; unknown ids are fine. */
  abstract unschedule(queue: QueueName, schedulerId: string): Promise<void>;

  /** Resolves when producers can reach the queue backend; the readiness check. */
  abstract ping(): Promise<void>;

  /** Closes every consumer (running jobs finish; the caller bounds the wait), then producers. */
  abstract close(): Promise<void>;
}
