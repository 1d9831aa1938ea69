import { NoRequestBody } from '../../../common/http/no-request-body.decorator';
import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AppError } from '../../../common/app-error';
import { RequireScopes, RateLimit } from '../../gateway';
import { JobQueue } from '../../queue/job-queue';
import { QUEUE_NAMES, QueueName } from '../../queue/queues';
import { JobPageResource, JobResource, ListJobsQuery, RetriedJobResource } from './admin-jobs.dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiSecurity('api-key')
@RequireScopes('admin')
@RateLimit('reads')
@Controller('v1/admin/jobs')
export class AdminJobsController {
  constructor(private readonly jobs: JobQueue) {}

  @Get()
  @ApiOperation({ summary: 'Failed jobs with their error, most recent first' })
  @ApiOkResponse({ type: JobPageResource })
  async list(@Query() query: ListJobsQuery): Promise<JobPageResource> {
    const queues = query.queue ? [query.queue] : QUEUE_NAMES;
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 50;
    // Every queue's first offset + limit, merged by time: the page is exact across queues.
    const lists = await Promise.all(
      queues.map(async (queue) =>
        (await this.jobs.failed(queue, { offset: 0, limit: offset + limit })).map(
          (job): JobResource => ({ ...job, queue, state: 'failed' }),
        ),
      ),
    );
    const items = lists
      .flat()
      .sort((a, b) => b.failedAt.getTime() - a.failedAt.getTime())
      .slice(offset, offset + limit);
    return { items };
  }

  @Post(':queue/:id/retry')
  @NoRequestBody()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Run a failed job again, with a fresh set of attempts' })
  @ApiOkResponse({ type: RetriedJobResource })
  async retry(@Param('queue') queue: string, @Param('id') id: string): Promise<RetriedJobResource> {
    if (!(QUEUE_NAMES as string[]).includes(queue)) {
      throw new AppError(HttpStatus.NOT_FOUND, 'queue_not_found', `No queue named ${queue}`);
    }
    if ((await this.jobs.retryFailed(queue as QueueName, id)) === 0) {
      throw new AppError(HttpStatus.NOT_FOUND, 'job_not_found', `No failed job ${id} in ${queue}`);
    }
    return { id, queue: queue as QueueName, retried: true };
  }
}
