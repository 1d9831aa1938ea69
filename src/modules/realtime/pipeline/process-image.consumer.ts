import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Consumer, JobQueue } from '../../queue/job-queue';
import { stopConsumer } from '../../queue/stop-consumer';
import { ImagePipeline } from './image-pipeline';

/** Worker role: takes `process-image` jobs. */
@Injectable()
export class ProcessImageConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer?: Consumer;

  constructor(
    private readonly jobs: JobQueue,
    private readonly pipeline: ImagePipeline,
  ) {}

  onApplicationBootstrap(): void {
    this.consumer = this.jobs.process('process-image', (job) => this.pipeline.process(job));
  }

  onModuleDestroy(): Promise<void> {
    return stopConsumer(this.jobs, this.consumer);
  }
}
