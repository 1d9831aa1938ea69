import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { BatchJob, BatchJobHandler, BatchRunContext, parseBatchOptions } from '../batch-job';
import { RetentionResult, RetentionService } from './retention.service';

const optionsSchema = z
  .object({
    /** Count what is past policy and delete nothing. */
    dryRun: z.boolean().default(false),
  })
  .strict();

export type RetentionOptions = z.output<typeof optionsSchema>;

/** `retention` `{ dryRun? }`: deletes what is past the RETENTION_* policies, in chunks. */
@Injectable()
@BatchJob('retention')
export class RetentionJob implements BatchJobHandler<RetentionOptions, RetentionResult> {
  constructor(private readonly retention: RetentionService) {}

  parseOptions(body: unknown): RetentionOptions {
    return parseBatchOptions(optionsSchema, body);
  }

  subject({ dryRun }: RetentionOptions): string {
    return dryRun ? 'dry-run' : 'delete';
  }

  run(ctx: BatchRunContext<RetentionOptions>): Promise<RetentionResult> {
    return this.retention.run({ dryRun: ctx.options.dryRun }, async (_kind, sofar) => {
      const { dryRun: _dryRun, ...counters } = sofar;
      await ctx.progress({
        done: Object.values(counters).reduce((sum, n) => sum + n, 0),
        counters,
      });
    });
  }
}
