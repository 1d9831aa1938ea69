import { ApiProperty } from '@nestjs/swagger';
import { TensorMetadataDto } from './tensor-metadata.dto';

/** `$metadata_model_response`. */
export class ModelMetadataDto {
  @ApiProperty({ example: 'moderation' })
  name!: string;

  @ApiProperty({ type: [String], example: ['1', '2'], description: 'Every version by number.' })
  versions!: string[];

  @ApiProperty({ example: 'tensorflowjs_tfjs' })
  platform!: string;

  @ApiProperty({
    type: [TensorMetadataDto],
    description:
      'Either input: the FP32 tensor the model runs on, or `image` (BYTES: base64-encoded ' +
      'image files, one per batch element).',
  })
  inputs!: TensorMetadataDto[];

  @ApiProperty({ type: [TensorMetadataDto], description: '`scores`: [batch, labels].' })
  outputs!: TensorMetadataDto[];
}
