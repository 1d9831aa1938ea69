import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { BatchJob, BatchJobHandler, BatchRunContext, parseBatchOptions } from '../batch-job';
import { ClassifierTraining, TrainingSummary } from './classifier-training.service';

const optionsSchema = z
  .object({
    /** The trainable model (POST /v1/models) to train a new version of. */
    model: z.string().min(1).max(63),
  })
  .strict();

export type TrainClassifierOptions = z.output<typeof optionsSchema>;

/** `train-classifier` `{ model }`: see ClassifierTraining. The run's result is its summary. */
@Injectable()
@BatchJob('train-classifier')
export class TrainClassifierJob implements BatchJobHandler<
  TrainClassifierOptions,
  TrainingSummary
> {
  constructor(private readonly training: ClassifierTraining) {}

  parseOptions(body: unknown): TrainClassifierOptions {
    return parseBatchOptions(optionsSchema, body);
  }

  run(ctx: BatchRunContext<TrainClassifierOptions>): Promise<TrainingSummary> {
    return this.training.train(ctx.runId, ctx.options.model, (progress) => ctx.progress(progress));
  }
}
