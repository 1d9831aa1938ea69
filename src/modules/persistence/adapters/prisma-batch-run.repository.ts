import { Injectable } from '@nestjs/common';
import type { BatchRun as BatchRunRow, Prisma } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import {
  BatchCheckpoint,
  BatchChunkRecord,
  BatchChunkSummary,
  BatchCounters,
  BatchRunQuery,
  BatchRunRecord,
  BatchRunRepository,
  JsonValue,
  NewBatchRun,
} from '../domain/batch-run';
import { DuplicateRecordError } from '../domain/errors';
import { Page } from '../domain/page';
import { decodeCursor, encodeCursor } from './cursor';
import { isUuid } from './ids';

const MAX_PAGE_SIZE = 200;
const CREATE_ATTEMPTS = 3;
const UNFINISHED = { in: ['queued' as const, 'running' as const] };

@Injectable()
export class PrismaBatchRunRepository extends BatchRunRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  private get runs() {
    return this.db.prisma.batchRun;
  }

  async create(run: NewBatchRun): Promise<BatchRunRecord> {
    const failed = run.error !== undefined;
    const data = {
      job: run.job,
      options: run.options as Prisma.InputJsonValue,
      requestedBy: run.requestedBy,
      triggerKey: run.triggerKey,
      dedupKey: run.dedupKey,
      ...(failed && { status: 'failed' as const, error: run.error, finishedAt: new Date() }),
    };
    // ON CONFLICT DO NOTHING; the run we collided with may finish before we read it, and then
    // there is room for ours.
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      const [created] = await this.runs.createManyAndReturn({ data: [data], skipDuplicates: true });
      const row = created ?? (await this.existing(run));
      if (row) return toRecord(row);
    }
    throw new DuplicateRecordError('batch run', ['job', 'dedup_key']);
  }

  /** The run a create collided with: same trigger key, or same job and subject, unfinished. */
  private async existing(run: NewBatchRun): Promise<BatchRunRow | null> {
    const byTrigger =
      run.triggerKey === undefined
        ? null
        : await this.runs.findUnique({ where: { triggerKey: run.triggerKey } });
    if (byTrigger || run.dedupKey === undefined) return byTrigger;
    return this.runs.findFirst({
      where: { job: run.job, dedupKey: run.dedupKey, status: UNFINISHED },
    });
  }

  async findById(id: string): Promise<BatchRunRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.runs.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async list(query: BatchRunQuery): Promise<Page<BatchRunRecord>> {
    const limit = Math.min(Math.max(Math.trunc(query.limit), 1), MAX_PAGE_SIZE);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.runs.findMany({
      where: {
        job: query.job,
        status: query.status,
        OR: after && [
          { createdAt: { lt: after.createdAt } },
          { createdAt: after.createdAt, id: { lt: after.id } },
        ],
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const items = rows.slice(0, limit).map(toRecord);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async markRunning(id: string): Promise<BatchRunRecord | null> {
    if (!isUuid(id)) return null;
    return this.db.prisma.$transaction(async (tx) => {
      const [row] = await tx.batchRun.updateManyAndReturn({
        where: { id, status: UNFINISHED },
        data: { status: 'running', starts: { increment: 1 } },
      });
      if (!row) return null;
      if (row.startedAt) return toRecord(row);
      return toRecord(await tx.batchRun.update({ where: { id }, data: { startedAt: new Date() } }));
    });
  }

  async claimUnfinished(before: Date, limit: number): Promise<BatchRunRecord[]> {
    const unchecked = {
      status: UNFINISHED,
      OR: [{ checkedAt: null }, { checkedAt: { lt: before } }],
    };
    const candidates = await this.runs.findMany({
      where: { ...unchecked, createdAt: { lt: before } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit,
      select: { id: true },
    });
    const claimed: BatchRunRecord[] = [];
    for (const { id } of candidates) {
      // Another caller that claimed it first has moved `checkedAt` past `before`.
      const [row] = await this.runs.updateManyAndReturn({
        where: { id, ...unchecked },
        data: { checkedAt: new Date() },
      });
      if (row) claimed.push(toRecord(row));
    }
    return claimed;
  }

  async setProgress(
    id: string,
    progress: { done: number; total?: number; counters?: BatchCounters },
  ): Promise<void> {
    await this.runs.updateMany({
      where: { id, status: 'running' },
      data: { done: progress.done, total: progress.total, counters: progress.counters },
    });
  }

  async complete(id: string, result: JsonValue): Promise<boolean> {
    const { count } = await this.runs.updateMany({
      where: { id, status: 'running' },
      data: {
        status: 'completed',
        result: result as Prisma.InputJsonValue,
        finishedAt: new Date(),
      },
    });
    return count > 0;
  }

  async fail(id: string, error: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { count } = await this.runs.updateMany({
      where: { id, status: UNFINISHED },
      data: { status: 'failed', error, finishedAt: new Date() },
    });
    return count > 0;
  }

  async planChunks(id: string, specs: JsonValue[], total: number): Promise<number> {
    return this.db.prisma.$transaction(async (tx) => {
      // The run row's lock makes concurrent planners (a recovered attempt) take turns.
      await tx.$queryRaw`SELECT id FROM batch_runs WHERE id = ${id}::uuid FOR UPDATE`;
      const planned = await tx.batchRunChunk.count({ where: { runId: id } });
      if (planned > 0) return planned;
      await tx.batchRunChunk.createMany({
        data: specs.map((spec, index) => ({
          runId: id,
          index,
          spec: spec as Prisma.InputJsonValue,
        })),
      });
      await tx.batchRun.update({ where: { id }, data: { total } });
      return specs.length;
    });
  }

  async chunkCount(id: string): Promise<number> {
    return this.db.prisma.batchRunChunk.count({ where: { runId: id } });
  }

  async leaseChunk(
    runId: string,
    index: number,
    lease: string,
    worker: string,
  ): Promise<BatchChunkRecord | null> {
    const [row] = await this.db.prisma.batchRunChunk.updateManyAndReturn({
      where: { runId, index, completed: false },
      data: { lease, worker, startsSinceCheckpoint: { increment: 1 }, updatedAt: new Date() },
    });
    return row ? toChunkRecord(row) : null;
  }

  async checkpoint(
    runId: string,
    index: number,
    lease: string,
    checkpoint: BatchCheckpoint,
  ): Promise<boolean> {
    return this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.batchRunChunk.updateMany({
        where: { runId, index, lease, completed: false },
        data: {
          cursor: checkpoint.cursor as Prisma.InputJsonValue | undefined,
          done: { increment: checkpoint.done },
          completed: checkpoint.completed ?? false,
          startsSinceCheckpoint: 0,
          updatedAt: new Date(),
        },
      });
      if (count === 0) return false;
      const [run] = await tx.$queryRaw<{ counters: BatchCounters }[]>`
        SELECT counters FROM batch_runs WHERE id = ${runId}::uuid FOR UPDATE`;
      await tx.batchRun.update({
        where: { id: runId },
        data: {
          done: { increment: checkpoint.done },
          counters: addCounters(run?.counters ?? {}, checkpoint.counters ?? {}),
        },
      });
      return true;
    });
  }

  async chunkSummary(runId: string): Promise<BatchChunkSummary> {
    if (!isUuid(runId)) return { total: 0, completed: 0, workers: {} };
    const groups = await this.db.prisma.batchRunChunk.groupBy({
      by: ['worker', 'completed'],
      where: { runId },
      _count: { _all: true },
    });
    const summary: BatchChunkSummary = { total: 0, completed: 0, workers: {} };
    for (const group of groups) {
      const count = group._count._all;
      summary.total += count;
      if (group.completed) summary.completed += count;
      if (group.worker !== null) {
        summary.workers[group.worker] = (summary.workers[group.worker] ?? 0) + count;
      }
    }
    return summary;
  }
}

function addCounters(into: BatchCounters, add: BatchCounters): BatchCounters {
  const sum = { ...into };
  for (const [name, count] of Object.entries(add)) sum[name] = (sum[name] ?? 0) + count;
  return sum;
}

function toRecord(row: BatchRunRow): BatchRunRecord {
  return {
    id: row.id,
    job: row.job,
    status: row.status,
    options: row.options as JsonValue,
    requestedBy: row.requestedBy,
    done: row.done,
    total: row.total,
    counters: row.counters as BatchCounters,
    result: row.result as JsonValue | null,
    error: row.error,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    starts: row.starts,
  };
}

function toChunkRecord(row: {
  runId: string;
  index: number;
  spec: unknown;
  cursor: unknown;
  completed: boolean;
  done: number;
  worker: string | null;
  startsSinceCheckpoint: number;
}): BatchChunkRecord {
  return {
    runId: row.runId,
    index: row.index,
    spec: row.spec as JsonValue,
    cursor: (row.cursor ?? null) as JsonValue | null,
    completed: row.completed,
    done: row.done,
    worker: row.worker,
    startsSinceCheckpoint: row.startsSinceCheckpoint,
  };
}
