import { Global, Module } from '@nestjs/common';
import { HttpMetricsHook } from './http-metrics.hook';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { QueueMetrics } from './queue-metrics';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, HttpMetricsHook, QueueMetrics],
  exports: [MetricsService],
})
export class MetricsModule {}
