import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength } from 'class-validator';
import { MODEL_KINDS } from '../../../persistence';
import { MAX_DESCRIPTION_LENGTH } from '../artifact-form';

export class CreateModelDto {
  @ApiProperty({ example: 'shapes', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' })
  @IsString()
  @MaxLength(63)
  name!: string;

  @ApiProperty({ enum: MODEL_KINDS, description: 'A dense head on the 1280-d embedding.' })
  @IsString()
  @MaxLength(32)
  kind!: string;

  @ApiPropertyOptional({
    type: [String],
    description:
      'The labels it trains on (images labelled otherwise are left out). Absent: every label found.',
    example: ['circle', 'square', 'triangle'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  labels?: string[];

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION_LENGTH })
  @IsOptional()
  @IsString()
  description?: string;
}
