import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DayRangeQuery } from '../../../common/dates/day-range.query';
import { STATS_DEFAULT_DAYS } from './stats.service';

export class StatsQuery extends DayRangeQuery(STATS_DEFAULT_DAYS) {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Every owner (admin scope).' })
  @IsOptional()
  @IsIn(['true', 'false'])
  all?: 'true' | 'false';
}
