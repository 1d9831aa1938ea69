import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Consumer, JobQueue } from '../../queue/job-queue';
import { stopConsumer } from '../../queue/stop-consumer';
import { WebhookSender } from './webhook-sender';

/** Worker role: takes `deliver-webhook` jobs, on a queue of their own (a slow receiver never delays predictions). */
@Injectable()
export class DeliverWebhookConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer?: Consumer;

  constructor(
    private readonly jobs: JobQueue,
    private readonly sender: WebhookSender,
  ) {}

  onApplicationBootstrap(): void {
    this.consumer = this.jobs.process('deliver-webhook', (job) => this.sender.deliver(job));
  }

  onModuleDestroy(): Promise<void> {
    return stopConsumer(this.jobs, this.consumer);
  }
}
