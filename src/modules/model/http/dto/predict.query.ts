import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { MODEL_NAME_PATTERN } from '../../model-registry';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export const MAX_TOP_K = 1000;

export class PredictQuery {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_TOP_K,
    description: 'Labels per model, highest score first. Default: PREDICT_TOP_K.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_TOP_K)
  topK?: number;

  @ApiPropertyOptional({
    example: 'moderation',
    description: "Run only this model's production version (404 when it has none).",
  })
  @IsOptional()
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name' })
  model?: string;
}
