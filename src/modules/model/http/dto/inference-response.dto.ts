import { ApiProperty } from '@nestjs/swagger';

/** `$response_output`. */
export class ResponseOutputDto {
  @ApiProperty({ example: 'scores' })
  name!: string;

  @ApiProperty({ type: [Number], example: [1, 5], description: '[batch, labels].' })
  shape!: number[];

  @ApiProperty({ example: 'FP32' })
  datatype!: string;

  @ApiProperty({
    type: [Number],
    example: [0.01, 0.02, 0.9, 0.03, 0.04],
    description: "Row-major scores, in the order of the model's labels.",
  })
  data!: number[];
}

/** `$inference_response`. */
export class InferenceResponseDto {
  @ApiProperty({ example: 'moderation' })
  model_name!: string;

  @ApiProperty({ example: '1' })
  model_version!: string;

  @ApiProperty({ description: "The request's `id`, else the X-Request-Id." })
  id!: string;

  @ApiProperty({ type: [ResponseOutputDto] })
  outputs!: ResponseOutputDto[];
}
