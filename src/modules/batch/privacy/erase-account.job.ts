import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AccountErasureRecord } from '../../persistence';
import {
  BatchChunkContext,
  BatchFanOut,
  BatchJob,
  BatchJobHandler,
  BatchRunContext,
  parseBatchOptions,
} from '../batch-job';
import { AccountErasureService } from './account-erasure.service';

const optionsSchema = z.object({ erasureId: z.uuid() }).strict();

export type EraseAccountOptions = z.output<typeof optionsSchema>;

/**
 * `erase-account` `{ erasureId }` (started by `DELETE /v1/me` and `DELETE /v1/admin/users/:id`):
 * shuts the account, erases its images in id-range chunks over every worker (each resumable
 * from its last erased id), then the rest of the account. The options name the erasure record,
 * never the user, so the run says nothing about whom it erased.
 */
@Injectable()
@BatchJob('erase-account')
export class EraseAccountJob implements BatchJobHandler<
  EraseAccountOptions,
  AccountErasureRecord | null
> {
  readonly internal = true;

  constructor(private readonly erasure: AccountErasureService) {}

  parseOptions(body: unknown): EraseAccountOptions {
    return parseBatchOptions(optionsSchema, body);
  }

  subject({ erasureId }: EraseAccountOptions): string {
    return erasureId;
  }

  async run(
    ctx: BatchRunContext<EraseAccountOptions>,
  ): Promise<AccountErasureRecord | null | BatchFanOut> {
    const plan = await this.erasure.plan(ctx.options.erasureId);
    if (!plan) return this.erasure.find(ctx.options.erasureId);
    // Image ids only: a chunk's spec must not name the user either.
    const chunks = plan.ranges.map(({ after, through }) => ({
      after: after ?? null,
      through: through ?? null,
    }));
    return ctx.fanOut(chunks, chunks.length);
  }

  async runChunk(ctx: BatchChunkContext<EraseAccountOptions>): Promise<void> {
    const chunk = ctx.spec as { after: string | null; through: string | null };
    const erasure = await this.erasure.find(ctx.options.erasureId);
    if (!erasure?.userId) return;
    const after = (ctx.cursor as string | null) ?? chunk.after;
    await this.erasure.eraseImages(
      ctx.options.erasureId,
      erasure.userId,
      { after: after ?? undefined, through: chunk.through ?? undefined },
      (step) =>
        ctx.checkpoint({
          cursor: step.lastId,
          done: 0,
          counters: { images: step.images, objects: step.objects },
        }),
    );
    await ctx.checkpoint({ cursor: null, done: 1, completed: true });
  }

  finish(ctx: { options: EraseAccountOptions }): Promise<AccountErasureRecord | null> {
    return this.erasure.finish(ctx.options.erasureId);
  }
}
