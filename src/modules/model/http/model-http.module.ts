import { Module } from '@nestjs/common';
import { registerErrorShape } from '../../../common/http/error-shapes';
import { MultipartModule } from '../../../common/http/multipart/multipart.module';
import { PersistenceModule } from '../../persistence';
import { ModelModule } from '../model.module';
import { InferenceProtocolController } from './inference-protocol.controller';
import {
  INFERENCE_PROTOCOL_PREFIX,
  inferenceProtocolError,
} from './inference-protocol/inference-protocol-error.filter';
import { ModelsController } from './models.controller';
import { PredictController } from './predict.controller';

/**
 * Web role: the serving API. `/v1/predict`, the model registry (and training runs) under
 * `/v1/models`, and the Open Inference Protocol under `/v2`.
 */
@Module({
  imports: [ModelModule, MultipartModule, PersistenceModule],
  controllers: [PredictController, ModelsController, InferenceProtocolController],
})
export class ModelHttpModule {
  constructor() {
    // Errors raised before a /v2 route runs (a hook, an unknown path) speak the protocol too.
    registerErrorShape(INFERENCE_PROTOCOL_PREFIX, inferenceProtocolError);
  }
}
