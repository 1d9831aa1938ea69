import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

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
}
