/**
 * Every queue of the platform and the payload its jobs carry, defined once: producers and
 * consumers are both typed by this map. Payloads are serialized as JSON, so use plain data.
 * To add a queue, add its entry here and to `QUEUE_NAMES` (the compiler checks both).
 */
export interface QueuePayloads {
  /** Realtime pipeline of one uploaded image: clean, embed, predict, persist, notify. */
  'process-image': { imageId: string; ownerId: string };
  /** Sweeps uploads that were started but never completed. */
  'sweep-uploads': Record<string, never>;
}

export type QueueName = keyof QueuePayloads;

const queueNames: Record<QueueName, true> = { 'process-image': true, 'sweep-uploads': true };

/** Every queue name, for adapters that set their queues up front. */
export const QUEUE_NAMES = Object.keys(queueNames) as QueueName[];
