import { ApiProperty } from '@nestjs/swagger';

export class FailuresResource {
  @ApiProperty()
  total!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { undecodable_image: 2 },
  })
  byCode!: Record<string, number>;
}

export class LatencyResource {
  @ApiProperty({ type: Number, nullable: true, description: 'Null when nothing was processed.' })
  p50!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  p95!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  p99!: number | null;
}

export class StatsCountersResource {
  @ApiProperty({ description: 'Uploads accepted.' })
  uploads!: number;

  @ApiProperty()
  processed!: number;

  @ApiProperty({ type: FailuresResource })
  failed!: FailuresResource;

  @ApiProperty({
    description: 'Processed images by top label: model -> label -> count.',
    example: { moderation: { Neutral: 12, Drawing: 3 } },
  })
  labels!: Record<string, Record<string, number>>;

  @ApiProperty()
  quarantined!: number;

  @ApiProperty({
    type: LatencyResource,
    description: 'Upload accepted -> predictions stored, in ms (read within 10%).',
  })
  latencyMs!: LatencyResource;
}

export class DayStatsResource extends StatsCountersResource {
  @ApiProperty({ example: '2026-12-02', description: 'UTC day the uploads were accepted.' })
  day!: string;
}

export class StatsResource {
  @ApiProperty({ example: '2026-11-26' })
  from!: string;

  @ApiProperty({ example: '2026-12-02' })
  to!: string;

  @ApiProperty({ enum: ['owner', 'all'], description: "The caller's images, or every owner's." })
  scope!: 'owner' | 'all';

  @ApiProperty({ type: [DayStatsResource], description: 'Every day of the range, oldest first.' })
  days!: DayStatsResource[];

  @ApiProperty({ type: StatsCountersResource, description: 'The whole range.' })
  total!: StatsCountersResource;
}
