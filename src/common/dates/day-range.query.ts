import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import type { Day } from './day-range';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The `from` and `to` query parameters of a range of UTC days, for a route whose range is
 * `defaultDays` long when `from` is left out (see `defaultRange`).
 */
export function DayRangeQuery(defaultDays: number) {
  class DayRange {
    @ApiPropertyOptional({
      description: `First UTC day (inclusive); default: ${defaultDays - 1} days before \`to\`.`,
    })
    @IsOptional()
    @Matches(DAY, { message: 'from must be a day, YYYY-MM-DD' })
    from?: Day;

    @ApiPropertyOptional({ description: 'Last UTC day (inclusive); default: today.' })
    @IsOptional()
    @Matches(DAY, { message: 'to must be a day, YYYY-MM-DD' })
    to?: Day;
  }
  return DayRange;
}
