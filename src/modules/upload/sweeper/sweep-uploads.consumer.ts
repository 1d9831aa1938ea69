import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Consumer, JobQueue } from '../../queue/job-queue';
import { stopConsumer } from '../../queue/stop-consumer';
import { UploadSweeper } from './upload-sweeper';

/** Worker role: runs `sweep-uploads` jobs. */
@Injectable()
export class SweepUploadsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer?: Consumer;

  constructor(
    private readonly jobs: JobQueue,
    private readonly sweeper: UploadSweeper,
  ) {}

  onApplicationBootstrap(): void {
    this.consumer = this.jobs.process('sweep-uploads', async () => {
      await this.sweeper.sweep();
    });
  }

  onModuleDestroy(): Promise<void> {
    return stopConsumer(this.jobs, this.consumer);
  }
}
