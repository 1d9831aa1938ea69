import { Module } from '@nestjs/common';
import { ModelRuntime } from './model-runtime';
import { PooledModelRuntime } from './pooled-model-runtime';

/**
 * The model runtime (TF.js backend, inference threads, micro-batching), exported as the
 * ModelRuntime port. Needs AppConfig, ReadinessRegistry and MetricsService from the app.
 */
@Module({
  providers: [{ provide: ModelRuntime, useClass: PooledModelRuntime }],
  exports: [ModelRuntime],
})
export class ModelRuntimeModule {}
