import { Module } from '@nestjs/common';
import { MultipartModule } from '../../../common/http/multipart/multipart.module';
import { ModelModule } from '../model.module';
import { InferenceProtocolController } from './inference-protocol.controller';
import { ModelsController } from './models.controller';
import { PredictController } from './predict.controller';

/**
 * Web role: the serving API. `/v1/predict`, the model registry under `/v1/models`, and the
 * Open Inference Protocol under `/v2`.
 */
@Module({
  imports: [ModelModule, MultipartModule],
  controllers: [PredictController, ModelsController, InferenceProtocolController],
})
export class ModelHttpModule {}
