import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { AppError } from '../../common/app-error';
import { CurrentPrincipal, type Principal, RateLimit, RequireScopes } from '../gateway';
import { BatchRunRecord, BatchRunRepository } from '../persistence';
import { BatchJobRegistry, unknownBatchJob } from './batch-job-registry';
import { BatchLauncher } from './batch-launcher';
import {
  BatchRunPageResource,
  BatchRunResource,
  ListBatchRunsQuery,
  StartedBatchRunResource,
  toBatchRunResource,
} from './batch-run.dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScopes('admin')
@Controller('v1/admin/batch')
export class BatchController {
  constructor(
    private readonly launcher: BatchLauncher,
    private readonly runs: BatchRunRepository,
    private readonly registry: BatchJobRegistry,
  ) {}

  @Post(':job')
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimit('uploads')
  @ApiOperation({
    summary: 'Start a run of a batch job; the JSON body holds its options',
    description:
      'Jobs: `compute-embeddings`, `backfill-predictions`, and those other modules register ' +
      '(`train-classifier`, `daily-report`, `retention`). 404 `batch_job_not_found` for ' +
      'another name, 400 `invalid_batch_options` for options the job refuses. While a run of ' +
      'the job on the same subject (model, day, ...) is queued or running, answers that run.',
  })
  @ApiBody({ required: false, schema: { type: 'object', additionalProperties: true } })
  @ApiAcceptedResponse({ type: StartedBatchRunResource })
  async start(
    @Param('job') job: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<StartedBatchRunResource> {
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'invalid_batch_options',
        'The body must be a JSON object of the job’s options',
      );
    }
    // Internal jobs (account erasure) start from their own routes, which check who may.
    if (this.registry.find(job)?.internal) throw unknownBatchJob(job);
    const run = await this.launcher.start(job, body ?? {}, {
      requestedBy: `${principal.kind}:${principal.id}`,
    });
    return { id: run.id, job: run.job, status: run.status };
  }

  @Get('runs')
  @RateLimit('reads')
  @ApiOperation({ summary: 'Batch runs, newest first' })
  @ApiOkResponse({ type: BatchRunPageResource })
  async list(@Query() query: ListBatchRunsQuery): Promise<BatchRunPageResource> {
    const page = await this.runs.list({
      job: query.job,
      status: query.status,
      limit: query.limit ?? 50,
      cursor: query.cursor,
    });
    return {
      items: await Promise.all(page.items.map((run) => this.present(run))),
      nextCursor: page.nextCursor,
    };
  }

  @Get('runs/:id')
  @RateLimit('reads')
  @ApiOperation({ summary: 'One batch run: status, progress, timings, result or error' })
  @ApiOkResponse({ type: BatchRunResource })
  async get(@Param('id') id: string): Promise<BatchRunResource> {
    const run = await this.runs.findById(id);
    if (!run) {
      throw new AppError(HttpStatus.NOT_FOUND, 'batch_run_not_found', `No batch run ${id}`);
    }
    return this.present(run);
  }

  private async present(run: BatchRunRecord): Promise<BatchRunResource> {
    return toBatchRunResource(run, await this.runs.chunkSummary(run.id));
  }
}
