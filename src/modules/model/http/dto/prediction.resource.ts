import { ApiProperty } from '@nestjs/swagger';
import { LabelScoreResource } from '../../../../common/http/label-score.resource';

export class ModelPredictionResource {
  @ApiProperty({ example: 'moderation' })
  model!: string;

  @ApiProperty({ example: 1, description: 'The production version that answered.' })
  version!: number;

  @ApiProperty({ type: [LabelScoreResource], description: 'Top-k labels, highest score first.' })
  labels!: LabelScoreResource[];
}

export class PredictResponse {
  @ApiProperty({
    type: [ModelPredictionResource],
    description: 'Every production model; the backbone (moderation) first.',
  })
  predictions!: ModelPredictionResource[];
}
