import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import {
  BATCH_RUN_STATUSES,
  BatchChunkSummary,
  BatchRunRecord,
  BatchRunStatus,
} from '../persistence';

export const MAX_RUNS_PAGE = 200;

export class ListBatchRunsQuery {
  @ApiPropertyOptional({ description: 'Only runs of this job.' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,64}$/)
  job?: string;

  @ApiPropertyOptional({ enum: BATCH_RUN_STATUSES })
  @IsOptional()
  @IsIn(BATCH_RUN_STATUSES)
  status?: BatchRunStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_RUNS_PAGE, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_RUNS_PAGE)
  limit?: number;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export class BatchProgressResource {
  @ApiProperty({
    description: '0-100; null until the run knows its total.',
    nullable: true,
    type: Number,
  })
  percent!: number | null;

  @ApiProperty({ description: 'Items done.' })
  done!: number;

  @ApiProperty({ nullable: true, type: Number, description: 'Items in all; null while unknown.' })
  total!: number | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'Job-specific counts, e.g. `predicted`, `skipped`.',
  })
  counters!: Record<string, number>;
}

export class BatchChunksResource {
  @ApiProperty({ description: 'Chunk jobs the run fanned out to (0: it did its work itself).' })
  total!: number;

  @ApiProperty()
  completed!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'Worker (host:pid) -> chunks it took (last).',
  })
  workers!: Record<string, number>;
}

export class BatchRunResource {
  @ApiProperty()
  id!: string;

  @ApiProperty()
  job!: string;

  @ApiProperty({ enum: BATCH_RUN_STATUSES })
  status!: BatchRunStatus;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'As parsed by the job.' })
  options!: unknown;

  @ApiProperty({
    nullable: true,
    type: String,
    description: '`user:<id>`, `api_key:<id>`, `schedule` or `system`.',
  })
  requestedBy!: string | null;

  @ApiProperty({ type: BatchProgressResource })
  progress!: BatchProgressResource;

  @ApiProperty({ type: BatchChunksResource })
  chunks!: BatchChunksResource;

  @ApiProperty({ nullable: true, description: 'The job’s result once completed.' })
  result!: unknown;

  @ApiProperty({ nullable: true, type: String })
  error!: string | null;

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty({ nullable: true, type: Date })
  startedAt!: Date | null;

  @ApiProperty({ nullable: true, type: Date })
  finishedAt!: Date | null;

  @ApiProperty({ nullable: true, type: Number, description: 'Started -> finished (or now).' })
  durationMs!: number | null;
}

export class BatchRunPageResource {
  @ApiProperty({ type: [BatchRunResource], description: 'Newest first.' })
  items!: BatchRunResource[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}

export class StartedBatchRunResource {
  @ApiProperty({ description: 'The run’s id: follow it at `GET /v1/admin/batch/runs/{id}`.' })
  id!: string;

  @ApiProperty()
  job!: string;

  @ApiProperty({ enum: BATCH_RUN_STATUSES })
  status!: BatchRunStatus;
}

export function toBatchRunResource(
  run: BatchRunRecord,
  chunks: BatchChunkSummary,
  now = Date.now(),
): BatchRunResource {
  const percent =
    run.status === 'completed'
      ? 100
      : run.total
        ? Math.min(100, Math.round((run.done / run.total) * 1000) / 10)
        : run.total === 0
          ? 100
          : null;
  const ended = run.finishedAt?.getTime() ?? now;
  return {
    id: run.id,
    job: run.job,
    status: run.status,
    options: run.options,
    requestedBy: run.requestedBy,
    progress: { percent, done: run.done, total: run.total, counters: run.counters },
    chunks,
    result: run.result,
    error: run.error,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.startedAt ? ended - run.startedAt.getTime() : null,
  };
}
