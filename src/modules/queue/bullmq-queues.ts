import type { Queue } from 'bullmq';

/**
 * The BullMQ producer queues, for tools that speak BullMQ itself (the queue dashboard).
 * `queues` is empty on the in-process queue, which has nothing to show them.
 */
export class BullMqQueues {
  constructor(readonly queues: readonly Queue[]) {}
}
