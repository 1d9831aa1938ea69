import { ApiProperty } from '@nestjs/swagger';
import {
  MODEL_KINDS,
  MODEL_VERSION_STATUSES,
  ModelKind,
  ModelVersionStatus,
} from '../../../persistence';

export class ModelVersionResource {
  @ApiProperty({ example: 'toxicity' })
  model!: string;

  @ApiProperty({ example: 2 })
  version!: number;

  @ApiProperty({ enum: MODEL_VERSION_STATUSES })
  status!: ModelVersionStatus;

  @ApiProperty({ type: [String], description: 'Output labels, in the order of its scores.' })
  labels!: string[];

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    example: { parameterCount: 3843 },
  })
  metrics!: Record<string, unknown> | null;

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty({ type: Date, nullable: true })
  promotedAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  archivedAt!: Date | null;
}

export class ModelResource {
  @ApiProperty({ example: 'moderation' })
  name!: string;

  @ApiProperty({ example: 'classification' })
  task!: string;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({
    type: String,
    enum: MODEL_KINDS,
    nullable: true,
    description: '`classifier`: trained from labelled images; null: uploaded or bundled.',
  })
  kind!: ModelKind | null;

  @ApiProperty({
    type: [String],
    description: 'The labels a trainable model trains on; empty: every label found.',
  })
  trainingLabels!: string[];

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty({ type: ModelVersionResource, nullable: true })
  production!: ModelVersionResource | null;
}

export class ModelListResource {
  @ApiProperty({ type: [ModelResource] })
  items!: ModelResource[];
}

export class ModelVersionListResource {
  @ApiProperty({ type: [ModelVersionResource], description: 'Newest first.' })
  items!: ModelVersionResource[];
}

export class PromotionResource {
  @ApiProperty({ type: ModelVersionResource, description: 'Now in production.' })
  promoted!: ModelVersionResource;

  @ApiProperty({
    type: ModelVersionResource,
    nullable: true,
    description: 'The version it replaced, now archived.',
  })
  archived!: ModelVersionResource | null;
}
