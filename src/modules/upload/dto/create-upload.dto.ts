import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsObject, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { MAX_LABEL_LENGTH } from '../../../common/labels';
import { SUPPORTED_IMAGE_TYPES } from '../../../common/images/image-type';

export class CreateUploadDto {
  @ApiProperty({ enum: SUPPORTED_IMAGE_TYPES, example: 'image/jpeg' })
  @IsString()
  @MaxLength(100)
  contentType!: string;

  @ApiProperty({ description: 'Exact size of the image in bytes.', example: 51200 })
  @IsInt()
  @Min(0)
  size!: number;

  @ApiPropertyOptional({ description: 'Hex SHA-256 of the bytes: checked, and deduplicated.' })
  @IsOptional()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'sha256 must be 64 hex digits' })
  sha256?: string;

  @ApiPropertyOptional({ maxLength: MAX_LABEL_LENGTH })
  @IsOptional()
  @IsString()
  label?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Any JSON object, at most 4 KiB.',
  })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}
