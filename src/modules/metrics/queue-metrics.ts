import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { JobQueue } from '../queue/job-queue';
import { QUEUE_NAMES } from '../queue/queues';
import { MetricsService } from './metrics.service';

/** Jobs per queue and state, and how long the next job has waited, read at each scrape. */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    const queue = this.queue;
    new Gauge({
      name: 'vireo_queue_jobs',
      help: 'Jobs per queue and state.',
      labelNames: ['queue', 'state'],
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        for (const name of QUEUE_NAMES) {
          const counts = await queue.counts(name).catch(() => null);
          for (const [state, count] of Object.entries(counts ?? {}))
            this.set({ queue: name, state }, count);
        }
      },
    });
    new Gauge({
      name: 'vireo_queue_age_seconds',
      help: 'Seconds since the waiting job next in line became due; 0 when none waits.',
      labelNames: ['queue'],
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        for (const name of QUEUE_NAMES) {
          const dueAt = await queue.nextWaitingDueAt(name).catch(() => undefined);
          if (dueAt === undefined) continue; // backend unreachable: no figure rather than a wrong one
          this.set({ queue: name }, dueAt ? Math.max(0, Date.now() - dueAt.getTime()) / 1000 : 0);
        }
      },
    });
  }
}
