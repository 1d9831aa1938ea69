import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LabelScoreResource } from '../../../common/http/label-score.resource';
import { IMAGE_STATUSES, ImageStatus } from '../../persistence';

export class ImageLinks {
  @ApiProperty({ example: 'http://localhost:3000/v1/images/0190...' })
  self!: string;

  @ApiProperty({ description: 'The original bytes (a redirect to a signed URL, or ?inline=1).' })
  content!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The derivative made by processing; null until the image is processed.',
  })
  thumbnail!: string | null;
}

export class PredictionResource {
  @ApiProperty({ example: 'moderation' })
  model!: string;

  @ApiProperty({ example: 3 })
  version!: number;

  @ApiProperty({ description: 'The top label.', example: 'neutral' })
  label!: string;

  @ApiProperty({ description: 'The top score.', example: 0.97 })
  score!: number;

  @ApiProperty({ type: [LabelScoreResource], description: 'Highest score first.' })
  scores!: LabelScoreResource[];

  @ApiProperty()
  createdAt!: Date;
}

export class ImageResource {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: IMAGE_STATUSES })
  status!: ImageStatus;

  @ApiProperty({ type: String, nullable: true, example: 'image/jpeg' })
  contentType!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Bytes.' })
  size!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Hex SHA-256 of the original.' })
  sha256!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Pixels, once auto-oriented.' })
  width!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  height!: number | null;

  @ApiProperty({ type: String, nullable: true })
  label!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  metadata!: Record<string, unknown> | null;

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty({ type: Date, nullable: true })
  uploadedAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  processedAt!: Date | null;

  @ApiProperty({
    type: Date,
    nullable: true,
    description:
      'When retention (RETENTION_ORIGINALS_DAYS) removed the original: its content answers 410 ' +
      '`original_deleted`; the image, its predictions and its thumbnail stay.',
  })
  originalDeletedAt!: Date | null;

  @ApiProperty({ type: String, nullable: true, example: 'undecodable_image' })
  failureCode!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why processing failed.' })
  failureMessage!: string | null;

  @ApiProperty({
    description:
      'Withheld by the moderation policy (MODERATION_QUARANTINE): its content and thumbnail ' +
      'answer 451 to callers without the admin scope.',
  })
  quarantined!: boolean;

  @ApiProperty({ type: [PredictionResource] })
  predictions!: PredictionResource[];

  @ApiProperty({ type: ImageLinks })
  links!: ImageLinks;
}

export class UploadedImageResource extends ImageResource {
  @ApiProperty({
    description: 'True when the owner already had these bytes: this is the existing image.',
  })
  duplicate!: boolean;
}

export class ImagePageResource {
  @ApiProperty({ type: [ImageResource], description: 'Newest first.' })
  items!: ImageResource[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last one.',
  })
  nextCursor!: string | null;
}
