import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { QUEUE_NAMES, QueueName } from '../../queue/queues';

export const MAX_JOBS_PAGE = 200;

export class ListJobsQuery {
  @ApiPropertyOptional({ enum: QUEUE_NAMES, description: 'Default: every queue.' })
  @IsOptional()
  @IsIn(QUEUE_NAMES)
  queue?: QueueName;

  @ApiPropertyOptional({ enum: ['failed'], default: 'failed' })
  @IsOptional()
  @IsIn(['failed'])
  state?: 'failed';

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_JOBS_PAGE, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_JOBS_PAGE)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}

export class JobResource {
  @ApiProperty()
  id!: string;

  @ApiProperty({ enum: QUEUE_NAMES })
  queue!: QueueName;

  @ApiProperty({ enum: ['failed'] })
  state!: 'failed';

  @ApiProperty({ type: 'object', additionalProperties: true })
  payload!: unknown;

  @ApiProperty()
  attemptsMade!: number;

  @ApiProperty({ description: 'The last attempt’s error.' })
  error!: string;

  @ApiProperty()
  failedAt!: Date;
}

export class JobPageResource {
  @ApiProperty({ type: [JobResource], description: 'Most recently failed first.' })
  items!: JobResource[];
}

export class RetriedJobResource {
  @ApiProperty()
  id!: string;

  @ApiProperty({ enum: QUEUE_NAMES })
  queue!: QueueName;

  @ApiProperty({ description: 'Back to waiting, with a fresh set of attempts.' })
  retried!: true;
}
