import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDate,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IMAGE_STATUSES, ImageStatus } from '../../persistence';

export const MAX_PAGE_SIZE = 100;

export class ListImagesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ enum: IMAGE_STATUSES })
  @IsOptional()
  @IsIn(IMAGE_STATUSES)
  status?: ImageStatus;

  @ApiPropertyOptional({ description: 'The label given by the owner.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  label?: string;

  @ApiPropertyOptional({ description: 'The top label of one of the predictions.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  predictedLabel?: string;

  @ApiPropertyOptional({ description: 'With predictedLabel: its least score.', example: 0.8 })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(1)
  minScore?: number;

  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601).' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  createdFrom?: Date;

  @ApiPropertyOptional({ description: 'Created before (ISO 8601).' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  createdTo?: Date;
}
