import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DAY_MS, dayOf, dayStart } from '../../../common/dates/day-range';
import { BatchJob, BatchJobHandler, BatchRunContext, parseBatchOptions } from '../batch-job';
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
  constructor(private readonly reports: DailyReportService) {}

  parseOptions(body: unknown): DailyReportOptions {
    return parseBatchOptions(optionsSchema, body);
  }

  async run(ctx: BatchRunContext<DailyReportOptions>): Promise<DailyReportResult> {
    const result = await this.reports.build(ctx.options.day ?? dayOf(Date.now() - DAY_MS));
    await ctx.progress({ done: 1, total: 1, counters: { owners: result.owners } });
    return result;
  }
}
