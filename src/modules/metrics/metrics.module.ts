import { Global, Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { HttpMetricsHook } from './http-metrics.hook';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { QueueMetrics } from './queue-metrics';
import { ReadinessMetrics } from './readiness-metrics';
import { QueueModule } from '../queue/queue.module';

@Global()
@Module({
  imports: [HealthModule, QueueModule],
  controllers: [MetricsController],
  providers: [MetricsService, HttpMetricsHook, QueueMetrics, ReadinessMetrics],
  exports: [MetricsService],
})
export class MetricsModule {}
