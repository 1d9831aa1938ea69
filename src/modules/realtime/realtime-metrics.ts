import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

export const PIPELINE_STAGES = [
  'queue_wait',
  'decode',
  'inference',
  'persist',
  'end_to_end',
] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export type JobOutcome = 'processed' | 'failed' | 'retried' | 'skipped';
export type DeliveryOutcome = 'delivered' | 'rejected' | 'timeout' | 'error';

/** The realtime module's Prometheus metrics, on the application's registry. */
@Injectable()
export class RealtimeMetrics {
  readonly stageSeconds: Histogram<'stage'>;
  readonly jobs: Counter<'outcome'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly sseClients: Gauge;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.stageSeconds = new Histogram({
      name: 'vireo_pipeline_stage_seconds',
      help: 'Time per stage of the image pipeline; end_to_end is upload accepted -> predictions stored.',
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.jobs = new Counter({
      name: 'vireo_pipeline_jobs_total',
      help: 'process-image attempts by outcome (retried: threw and will run again; skipped: nothing to do).',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'vireo_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.sseClients = new Gauge({
      name: 'vireo_sse_clients',
      help: 'Clients connected to /v1/images/:id/events on this replica.',
      registers,
    });
  }

  /** Records `seconds` for `stage`. */
  observe(stage: PipelineStage, ms: number): void {
    this.stageSeconds.observe({ stage }, ms / 1000);
  }
}
