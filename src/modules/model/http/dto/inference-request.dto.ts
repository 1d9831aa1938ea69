import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** `$request_input`. */
export class RequestInputDto {
  @ApiProperty({ example: 'image', description: "One of the model's inputs (see its metadata)." })
  name!: string;

  @ApiProperty({ type: [Number], example: [1] })
  shape!: number[];

  @ApiProperty({ enum: ['FP32', 'BYTES'], example: 'BYTES' })
  datatype!: 'FP32' | 'BYTES';

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  parameters?: Record<string, unknown>;

  @ApiProperty({
    type: 'array',
    items: {},
    example: ['/9j/4AAQSkZJRg...'],
    description:
      'Row-major, flat or nested. FP32: numbers. BYTES: one base64-encoded image file ' +
      '(JPEG, PNG, WebP, ...) per batch element.',
  })
  data!: unknown[];
}

/** `$request_output`. */
export class RequestOutputDto {
  @ApiProperty({ example: 'scores' })
  name!: string;
}

/** `$inference_request`. */
export class InferenceRequestDto {
  @ApiPropertyOptional({ description: 'Echoed in the response (default: the request id).' })
  id?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  parameters?: Record<string, unknown>;

  @ApiProperty({ type: [RequestInputDto], description: 'Exactly one input.' })
  inputs!: RequestInputDto[];

  @ApiPropertyOptional({ type: [RequestOutputDto] })
  outputs?: RequestOutputDto[];
}
