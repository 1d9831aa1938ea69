import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DayRangeQuery } from '../../../common/dates/day-range.query';
import { REPORTS_DEFAULT_DAYS } from './reports.service';

export class ReportsRangeQuery extends DayRangeQuery(REPORTS_DEFAULT_DAYS) {}

export class ReportsQuery extends ReportsRangeQuery {
  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}
