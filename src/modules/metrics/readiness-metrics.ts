import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { ReadinessChecks } from '../health/readiness-checks';
import { MetricsService } from './metrics.service';

/** Both gauges of one scrape read the same run of the checks. */
const SHARED_RUN_MS = 1_000;

/** Readiness as gauges, checked at each scrape (as `/health/ready` would answer then). */
@Injectable()
export class ReadinessMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly checks: ReadinessChecks,
  ) {}

  onModuleInit(): void {
    const statuses = async (): Promise<[string, boolean][]> => {
      const results = await Promise.all(this.checks.attempts(SHARED_RUN_MS).map((run) => run()));
      return results.flatMap((result) =>
        Object.entries(result).map(([check, { status }]): [string, boolean] => [
          check,
          status === 'up',
        ]),
      );
    };
    const registers = [this.metrics.registry];
    new Gauge({
      name: 'vireo_readiness_check_up',
      help: '1 when the readiness check answers within HEALTH_CHECK_TIMEOUT_MS, else 0.',
      labelNames: ['check'],
      registers,
      async collect() {
        this.reset();
        for (const [check, up] of await statuses()) this.set({ check }, up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'vireo_ready',
      help: '1 when every readiness check passes (/health/ready answers 200), else 0.',
      registers,
      async collect() {
        this.set((await statuses()).every(([, up]) => up) ? 1 : 0);
      },
    });
  }
}
