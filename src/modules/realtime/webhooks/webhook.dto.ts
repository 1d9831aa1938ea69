import { ApiProperty } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, MaxLength } from 'class-validator';
import { WEBHOOK_EVENT_TYPES, WebhookEventType } from '../../persistence';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://example.com/hooks/vireo' })
  @IsString()
  @MaxLength(MAX_WEBHOOK_URL_LENGTH)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, example: ['image.processed'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events!: WebhookEventType[];
}

export class WebhookResource {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true })
  events!: WebhookEventType[];

  @ApiProperty()
  createdAt!: Date;
}

export class CreatedWebhookResource extends WebhookResource {
  @ApiProperty({
    description: 'Signs every delivery (Standard Webhooks); shown only in this answer.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;
}

export class WebhookDeliveryResource {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The `webhook-id` header, the same on every attempt of a message.' })
  messageId!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES })
  event!: string;

  @ApiProperty({ description: '1 for the first attempt.' })
  attempt!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Null when no answer came.' })
  statusCode!: number | null;

  @ApiProperty()
  durationMs!: number;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty()
  succeeded!: boolean;

  @ApiProperty()
  createdAt!: Date;
}
