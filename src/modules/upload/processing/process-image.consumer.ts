import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Consumer, JobQueue } from '../../queue/job-queue';
import { stopConsumer } from '../queue-consumer';
import { ImageProcessor } from './image-processor';

/** Worker role: takes `process-image` jobs. */
@Injectable()
export class ProcessImageConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer?: Consumer;

  constructor(
    private readonly jobs: JobQueue,
    private readonly processor: ImageProcessor,
  ) {}

  onApplicationBootstrap(): void {
    this.consumer = this.jobs.process('process-image', (job) => this.processor.process(job));
  }

  onModuleDestroy(): Promise<void> {
    return stopConsumer(this.jobs, this.consumer);
  }
}
