import { ApiProperty } from '@nestjs/swagger';

/** `$metadata_tensor` of the Open Inference Protocol. */
export class TensorMetadataDto {
  @ApiProperty({ example: 'embedding' })
  name!: string;

  @ApiProperty({ enum: ['FP32', 'BYTES'] })
  datatype!: 'FP32' | 'BYTES';

  @ApiProperty({ type: [Number], example: [-1, 1280], description: '-1: any batch size.' })
  shape!: number[];
}
