import { ApiProperty } from '@nestjs/swagger';

/** Every `/v2` error: `$inference_error_response` and its metadata siblings. */
export class InferenceErrorDto {
  @ApiProperty({ example: 'No model named toxicity' })
  error!: string;
}
