import { HttpStatus, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AppError } from '../../../common/app-error';
import { Clock } from '../../../common/clock';
import { DAY_MS, dayOf, dayStart } from '../../../common/dates/day-range';
import {
  BatchJob,
  BatchJobHandler,
  BatchOptionsError,
  BatchRunContext,
  parseBatchOptions,
} from '../batch-job';
import { DailyReportResult, DailyReportService } from './daily-report.service';

const optionsSchema = z
  .object({
    /** The UTC day to (re)build; default: yesterday, the last whole day. */
    day: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'day must be YYYY-MM-DD')
      .refine((day) => dayOf(dayStart(day) || 0) === day, 'day must be a real calendar day')
      .optional(),
  })
  .strict();

export type DailyReportOptions = z.output<typeof optionsSchema>;

/** `daily-report` `{ day? }`: writes (or rewrites) one UTC day's report rows. */
@Injectable()
@BatchJob('daily-report')
export class DailyReportJob implements BatchJobHandler<DailyReportOptions, DailyReportResult> {
  constructor(
    private readonly reports: DailyReportService,
    private readonly clock: Clock,
  ) {}

  /**
   * The default day is fixed at the start, so a run that starts after midnight still builds
   * the day it was asked for, and concurrent starts of one day are one run.
   */
  parseOptions(body: unknown): DailyReportOptions {
    const { day = this.yesterday() } = parseBatchOptions(optionsSchema, body);
    if (day < '0001-01-01') {
      throw new AppError(
        HttpStatus.BAD_REQUEST,
        'invalid_date',
        'Dates must fall in the years 0001 to 9999',
      );
    }
    if (day > dayOf(this.clock.now())) throw new BatchOptionsError(`day ${day} is in the future`);
    return { day };
  }

  subject(options: DailyReportOptions): string {
    return this.reportDay(options);
  }

  async run(ctx: BatchRunContext<DailyReportOptions>): Promise<DailyReportResult> {
    const result = await this.reports.build(this.reportDay(ctx.options));
    await ctx.progress({ done: 1, total: 1, counters: { owners: result.owners } });
    return result;
  }

  /** Runs recorded before the default day was fixed at the start have none. */
  private reportDay({ day }: DailyReportOptions): string {
    return day ?? this.yesterday();
  }

  private yesterday(): string {
    return dayOf(this.clock.now() - DAY_MS);
  }
}
