import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config';
import { Consumer, JobQueue } from '../queue/job-queue';
import { stopConsumer } from '../queue/stop-consumer';
import { BatchRunner } from './batch-runner';

/**
 * Worker role: takes `batch` jobs, BATCH_CONCURRENCY at a time, on a queue of their own, so
 * batch work never takes a slot of the realtime pipeline.
 */
@Injectable()
export class BatchWorkerConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer?: Consumer;

  constructor(
    private readonly jobs: JobQueue,
    private readonly runner: BatchRunner,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.consumer = this.jobs.process('batch', (job) => this.runner.process(job), {
      concurrency: this.config.batch.concurrency,
    });
  }

  onModuleDestroy(): Promise<void> {
    return stopConsumer(this.jobs, this.consumer);
  }
}
