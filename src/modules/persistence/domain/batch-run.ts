import { Page } from './page';

export const BATCH_RUN_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type BatchRunStatus = (typeof BATCH_RUN_STATUSES)[number];

/** Plain JSON, as stored in `jsonb` columns. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Job-specific counts of a run (e.g. `predicted`, `skipped`); chunks add theirs up. */
export type BatchCounters = Record<string, number>;

export interface BatchRunRecord {
  id: string;
  job: string;
  status: BatchRunStatus;
  options: JsonValue;
  requestedBy: string | null;
  done: number;
  total: number | null;
  counters: BatchCounters;
  result: JsonValue | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Starts of the run's own step (`markRunning`), retries and recoveries included. */
  starts: number;
}

export interface NewBatchRun {
  job: string;
  options: JsonValue;
  requestedBy?: string;
  /** Starting twice with one key gives the first run (e.g. a scheduled job retried). */
  triggerKey?: string;
  /**
   * What the run works on (e.g. `pets`, a day): while a run of the job with this key is queued
   * or running, creating another gives that run.
   */
  dedupKey?: string;
  /** A run that cannot start (e.g. no handler for its job) is created failed with this error. */
  error?: string;
}

export interface BatchChunkRecord {
  runId: string;
  index: number;
  spec: JsonValue;
  cursor: JsonValue | null;
  completed: boolean;
  done: number;
  worker: string | null;
  /**
   * Starts of the chunk (`leaseChunk`, retries and recoveries included) since it last
   * committed a checkpoint: how often in a row it got nowhere.
   */
  startsSinceCheckpoint: number;
}

/** What one chunk attempt commits at once: how far it got and what it counted since. */
export interface BatchCheckpoint {
  /** Where to resume; unchanged when absent. */
  cursor?: JsonValue;
  /** Items finished since the last checkpoint. */
  done: number;
  counters?: BatchCounters;
  /** The chunk's work is finished. */
  completed?: boolean;
}

export interface BatchRunQuery {
  job?: string;
  status?: BatchRunStatus;
  limit: number;
  cursor?: string;
}

/** How many chunks a run has, finished, and which workers took them. */
export interface BatchChunkSummary {
  total: number;
  completed: number;
  /** Worker (host:pid) -> chunks it took last. */
  workers: Record<string, number>;
}

/**
 * Runs of batch jobs and their chunks. Progress moves by compare-and-set, so a retried or
 * recovered attempt never counts anything twice.
 */
export abstract class BatchRunRepository {
  /**
   * Creates the run, or returns the one already created with `triggerKey`, or the queued or
   * running one of the job with `dedupKey`.
   */
  abstract create(run: NewBatchRun): Promise<BatchRunRecord>;

  abstract findById(id: string): Promise<BatchRunRecord | null>;

  /** Newest first. */
  abstract list(query: BatchRunQuery): Promise<Page<BatchRunRecord>>;

  /**
   * `queued` or `running` -> `running` (first start stamps `startedAt`), counting the start in
   * `starts`; null when finished.
   */
  abstract markRunning(id: string): Promise<BatchRunRecord | null>;

  /**
   * Unfinished runs created before `before` and not checked since then, oldest first, each
   * stamped checked now by a compare-and-set: concurrent callers get disjoint runs, and a run
   * is handed out again only once `before` has passed its stamp.
   */
  abstract claimUnfinished(before: Date, limit: number): Promise<BatchRunRecord[]>;

  /** Absolute progress of a run that does its work itself. */
  abstract setProgress(
    id: string,
    progress: { done: number; total?: number; counters?: BatchCounters },
  ): Promise<void>;

  /** `running` -> `completed` with its result; false when the run was no longer running. */
  abstract complete(id: string, result: JsonValue): Promise<boolean>;

  /** `queued` or `running` -> `failed`; false when the run had finished already. */
  abstract fail(id: string, error: string): Promise<boolean>;

  /**
   * Stores the chunks of a run (and its total) once: a second call keeps the first plan.
   * Resolves with the chunk count of the stored plan.
   */
  abstract planChunks(id: string, specs: JsonValue[], total: number): Promise<number>;

  /** The run's chunk count, 0 when it has not fanned out. */
  abstract chunkCount(id: string): Promise<number>;

  /**
   * Gives the chunk to a new attempt (`lease`), taking it from any earlier attempt and
   * counting the start in `startsSinceCheckpoint`; null when the chunk is already completed or
   * does not exist.
   */
  abstract leaseChunk(
    runId: string,
    index: number,
    lease: string,
    worker: string,
  ): Promise<BatchChunkRecord | null>;

  /**
   * Commits a checkpoint of the attempt holding `lease`, adding its counts to the run in the
   * same transaction (and setting `startsSinceCheckpoint` back to 0). False (nothing written)
   * when another attempt holds the chunk now.
   */
  abstract checkpoint(
    runId: string,
    index: number,
    lease: string,
    checkpoint: BatchCheckpoint,
  ): Promise<boolean>;

  abstract chunkSummary(runId: string): Promise<BatchChunkSummary>;
}
