import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { SCOPES, Scope } from '../auth/principal';

export class RateLimitOverridesDto {
  @ApiPropertyOptional({ description: 'Uploads per minute for this key.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  uploads?: number;

  @ApiPropertyOptional({ description: 'Predictions per minute for this key.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  predict?: number;

  @ApiPropertyOptional({ description: 'Reads per minute for this key.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  reads?: number;
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ios-app' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['images:write', 'images:read'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes!: Scope[];

  @ApiPropertyOptional({ description: 'Owner of the key (admins only); default: the caller.' })
  @IsOptional()
  @IsUUID()
  ownerId?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;

  @ApiPropertyOptional({ type: RateLimitOverridesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RateLimitOverridesDto)
  rateLimits?: RateLimitOverridesDto;
}

export class ApiKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The public part of the key, `vir_<prefix>_...`.' }) prefix!: string;
  @ApiProperty() ownerId!: string;
  @ApiProperty({ enum: SCOPES, isArray: true }) scopes!: Scope[];
  @ApiPropertyOptional({ type: RateLimitOverridesDto, nullable: true })
  rateLimits!: RateLimitOverridesDto | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  expiresAt!: Date | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  revokedAt!: Date | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  lastUsedAt!: Date | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The whole key. Shown this once; store it now.' })
  key!: string;
}
