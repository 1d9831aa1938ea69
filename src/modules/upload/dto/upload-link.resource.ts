import { ApiProperty } from '@nestjs/swagger';

export class UploadLinkResource {
  @ApiProperty({ format: 'uuid', description: 'The id of the image, `pending` until completed.' })
  id!: string;

  @ApiProperty({ description: 'PUT the bytes here, without credentials, before `expiresAt`.' })
  uploadUrl!: string;

  @ApiProperty({ enum: ['PUT'] })
  method!: 'PUT';

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Headers the PUT must carry.',
    example: { 'Content-Type': 'image/jpeg' },
  })
  headers!: Record<string, string>;

  @ApiProperty()
  expiresAt!: Date;

  @ApiProperty({ description: 'Where to POST once the bytes are up.' })
  completeUrl!: string;
}
