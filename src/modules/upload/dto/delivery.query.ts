import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class DeliveryQuery {
  @ApiPropertyOptional({
    enum: ['1', 'true'],
    description: 'Stream the bytes instead of redirecting to a signed URL.',
  })
  @IsOptional()
  @IsIn(['1', 'true', '0', 'false'])
  inline?: string;
}

export function wantsInline(query: DeliveryQuery): boolean {
  return query.inline === '1' || query.inline === 'true';
}
