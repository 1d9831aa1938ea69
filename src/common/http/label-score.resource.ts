import { ApiProperty } from '@nestjs/swagger';

/** One label and its score, as images' predictions and `/v1/predict` answer them. */
export class LabelScoreResource {
  @ApiProperty({ example: 'cat' })
  label!: string;

  @ApiProperty({ example: 0.97 })
  score!: number;
}
