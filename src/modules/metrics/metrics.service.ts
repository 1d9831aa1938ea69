import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { AppConfig } from '../../config';

/** One Prometheus registry per application instance (tests boot several in one process). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(config: AppConfig) {
    this.registry.setDefaultLabels({ role: config.role });
    collectDefaultMetrics({ register: this.registry, prefix: 'vireo_' });
    this.httpRequestDuration = new Histogram({
      name: 'vireo_http_request_duration_seconds',
      help: 'HTTP request duration by route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }
}
