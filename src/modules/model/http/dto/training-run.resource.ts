import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { TRAINING_RUN_STATUSES, TrainingRunStatus } from '../../../persistence';

export const MAX_TRAINING_RUNS_PAGE = 100;
export const DEFAULT_TRAINING_RUNS_PAGE = 20;

export class ListTrainingRunsQuery {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_TRAINING_RUNS_PAGE,
    default: DEFAULT_TRAINING_RUNS_PAGE,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_TRAINING_RUNS_PAGE)
  limit?: number;
}

export class LabelScoresResource {
  @ApiProperty()
  precision!: number;

  @ApiProperty()
  recall!: number;

  @ApiProperty()
  f1!: number;

  @ApiProperty({ description: 'Validation examples of this label.' })
  support!: number;
}

export class GateDecisionResource {
  @ApiProperty()
  promote!: boolean;

  @ApiProperty({
    enum: ['promoted', 'too_few_examples', 'below_min_accuracy', 'not_better_than_production'],
  })
  code!: string;

  @ApiProperty()
  reason!: string;
}

/** What `train-classifier` records (the version it makes holds the same `metrics`). */
export class TrainingMetricsResource {
  @ApiProperty({ description: 'Validation accuracy.', example: 0.95 })
  accuracy!: number;

  @ApiProperty({ description: "Unweighted mean of the labels' F1." })
  macroF1!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(LabelScoresResource) },
  })
  perLabel!: Record<string, LabelScoresResource>;

  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: { type: 'integer' } },
    description: '`[actual][predicted]`, in the label order of the version.',
  })
  confusionMatrix!: number[][];

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Labelled examples per label (training and validation).',
  })
  examplesPerLabel!: Record<string, number>;

  @ApiProperty({ type: [Number], description: 'Training loss after each epoch.' })
  lossPerEpoch!: number[];

  @ApiProperty({
    nullable: true,
    type: Number,
    description: "Production's accuracy on the same validation examples; null without one.",
  })
  productionAccuracy!: number | null;

  @ApiProperty()
  trainingExamples!: number;

  @ApiProperty()
  validationExamples!: number;

  @ApiProperty({ description: 'Embeddings the run computed (missing ones).' })
  embeddingsComputed!: number;

  @ApiProperty({ description: 'Training time, embeddings included.' })
  durationMs!: number;

  @ApiProperty({ type: GateDecisionResource })
  gate!: GateDecisionResource;
}

export class TrainingRunResource {
  @ApiProperty({ description: 'Also the id of its batch run (`GET /v1/admin/batch/runs/{id}`).' })
  id!: string;

  @ApiProperty({ example: 'shapes' })
  model!: string;

  @ApiProperty({ enum: TRAINING_RUN_STATUSES })
  status!: TrainingRunStatus;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'What it trained with: epochs, learningRate, batchSize, validationFraction.',
  })
  params!: Record<string, unknown> | null;

  @ApiProperty({
    type: TrainingMetricsResource,
    nullable: true,
    description: 'Once succeeded.',
  })
  metrics!: TrainingMetricsResource | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Labelled examples it used.' })
  sampleCount!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'The version it made.' })
  version!: number | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty({ type: Date, nullable: true })
  startedAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  finishedAt!: Date | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Started -> finished.' })
  durationMs!: number | null;
}

export class TrainingRunListResource {
  @ApiProperty({ type: [TrainingRunResource], description: 'Newest first.' })
  items!: TrainingRunResource[];
}
