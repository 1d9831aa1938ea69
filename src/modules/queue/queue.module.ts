import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config';
import { ReadinessRegistry } from '../health/readiness.registry';
import { BullMqJobQueue } from './bullmq-job-queue';
import { BullMqQueues } from './bullmq-queues';
import { WorkerLock } from './bullmq-options';
import { InProcessJobQueue } from './in-process-job-queue';
import { JobQueue } from './job-queue';

/**
 * Lock and stalled-check timing of BullMQ workers: QUEUE_LOCK_MS both ways, so a crashed
 * worker's job runs again within about twice that (tests override it to see recovery quickly).
 */
export const WORKER_LOCK = Symbol('WORKER_LOCK');

/** Registers the 'queue' readiness check: producers can reach the backend. */
@Injectable()
class QueueReadiness implements OnModuleInit {
  constructor(
    private readonly jobQueue: JobQueue,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register('queue', () => this.jobQueue.ping());
  }
}

/**
 * The `JobQueue` port: BullMQ when `REDIS_URL` is set, else the in-process queue. Every role
 * produces; only worker-role modules call `process()`.
 */
@Module({
  providers: [
    {
      provide: WORKER_LOCK,
      inject: [AppConfig],
      useFactory: (config: AppConfig): WorkerLock => ({
        lockDurationMs: config.queue.lockMs,
        stalledIntervalMs: config.queue.lockMs,
      }),
    },
    {
      provide: JobQueue,
      inject: [AppConfig, WORKER_LOCK],
      useFactory: (config: AppConfig, lock: WorkerLock): Promise<JobQueue> | JobQueue =>
        config.redis
          ? BullMqJobQueue.connect({ redis: config.redis, queue: config.queue, lock })
          : new InProcessJobQueue(config.queue),
    },
    {
      provide: BullMqQueues,
      inject: [JobQueue],
      useFactory: (jobs: JobQueue) =>
        new BullMqQueues(jobs instanceof BullMqJobQueue ? jobs.producerQueues() : []),
    },
    QueueReadiness,
  ],
  exports: [JobQueue, BullMqQueues],
})
export class QueueModule {}
