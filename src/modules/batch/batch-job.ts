import { HttpStatus } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { z } from 'zod';
import { AppError } from '../../common/app-error';
import type { BatchCounters, JsonValue } from '../persistence';

/**
 * Marks a provider as the handler of the batch job `name` (it must implement
 * `BatchJobHandler`). Handlers are found at boot through Nest's DiscoveryService, as immich
 * finds its job handlers by their decorator metadata: a module only has to provide the class.
 */
export const BatchJob = DiscoveryService.createDecorator<string>();

/** Options a handler refused: the start request answers 400 `invalid_batch_options`. */
export class BatchOptionsError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(HttpStatus.BAD_REQUEST, 'invalid_batch_options', message, { details });
  }
}

/** `parseOptions` from a zod schema: its first issue becomes the 400's message. */
export function parseBatchOptions<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new BatchOptionsError(`${where}${issue?.message ?? 'invalid options'}`, {
    issues: parsed.error.issues.map(({ path, message }) => ({ path: path.join('.'), message })),
  });
}

export interface BatchProgress {
  done: number;
  total?: number;
  counters?: BatchCounters;
}

/** What `ctx.fanOut` returns and `run` hands back: the run continues as chunk jobs. */
export interface BatchFanOut {
  readonly kind: 'fan-out';
  /** One entry per chunk, the handler's own description of its work (plain JSON). */
  readonly chunks: JsonValue[];
  /** Items over all chunks, for the run's percentage. */
  readonly total: number;
}

/** What a run's handler is given. */
export interface BatchRunContext<O> {
  readonly runId: string;
  readonly options: O;
  /** `user:<id>`, `api_key:<id>`, `schedule` or `system`. */
  readonly requestedBy: string | null;
  /** Records how far a run that does its own work has got (absolute values). */
  progress(progress: BatchProgress): Promise<void>;
  /**
   * Hands the work to chunk jobs (`runChunk`), spread over every worker, under one parent
   * that completes the run once they all have (`finish`). Return its result from `run`.
   */
  fanOut(chunks: JsonValue[], total: number): BatchFanOut;
}

/** One chunk of a fanned-out run, possibly resumed after its worker died. */
export interface BatchChunkContext<O> {
  readonly runId: string;
  readonly options: O;
  readonly index: number;
  /** The chunk's entry given to `fanOut`. */
  readonly spec: JsonValue;
  /** Where the last committed checkpoint left off; null on a fresh chunk. */
  readonly cursor: JsonValue | null;
  /**
   * Commits progress since the last checkpoint with where to resume, in one transaction with
   * the run's counters: work after the last checkpoint is done again, never counted twice.
   * Throws `ChunkTakenOverError` when another attempt holds the chunk now (stop then).
   */
  checkpoint(step: {
    cursor: JsonValue;
    done: number;
    counters?: BatchCounters;
    completed?: boolean;
  }): Promise<void>;
}

/** The run's totals once every chunk has completed. */
export interface BatchFinishContext<O> {
  readonly runId: string;
  readonly options: O;
  readonly done: number;
  readonly counters: BatchCounters;
}

/**
 * The handler of one batch job (see `BatchJob`). `parseOptions` checks a start request's
 * JSON body (throw `BatchOptionsError`, e.g. through `parseBatchOptions`) and `check` against
 * the data; `run` does the work and resolves with the run's result, or plans it and returns
 * `ctx.fanOut(...)`; then `runChunk` does each chunk and `finish` makes the result from the
 * totals. Runs must be idempotent: an attempt may be repeated after a crash.
 */
export interface BatchJobHandler<O, R> {
  /** Started only by code (e.g. account erasure): `POST /v1/admin/batch/:job` answers 404. */
  readonly internal?: boolean;
  parseOptions(body: unknown): O;
  /**
   * Checks the options against the data at start (e.g. the model exists): throws an
   * `AppError` (4xx) the start request answers with, so no run is made that can only fail.
   */
  check?(options: O): Promise<void>;
  /**
   * What the run works on (e.g. a model, a day): at most one run of the job per subject is
   * queued or running at once; a start while one is gets that run.
   */
  subject(options: O): string | Promise<string>;
  run(ctx: BatchRunContext<O>): Promise<R | BatchFanOut>;
  runChunk?(ctx: BatchChunkContext<O>): Promise<void>;
  finish?(ctx: BatchFinishContext<O>): Promise<R> | R;
}

/** A chunk attempt lost its chunk to another (it was thought dead): it must stop. */
export class ChunkTakenOverError extends Error {
  override readonly name = 'ChunkTakenOverError';
}
