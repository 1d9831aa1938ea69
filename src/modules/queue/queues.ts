/**
 * Every queue of the platform and the payload its jobs carry, defined once: producers and
 * consumers are both typed by this map. Payloads are serialized as JSON, so use plain data.
 * To add a queue, add its entry here and to `QUEUE_NAMES` (the compiler checks both).
 */
export interface QueuePayloads {
  /**
   * Realtime pipeline of one uploaded image (`ImagePipeline`): decode once, embed and predict,
   * store results and counters, announce it on the image's event stream and to webhooks.
   */
  'process-image': { imageId: string; ownerId: string };
  /** Sweeps uploads that were started but never completed. */
  'sweep-uploads': Record<string, never>;
  /**
   * One webhook message to one endpoint. Every attempt sends the same id and body (Standard
   * Webhooks: receivers deduplicate on the id), signed with the attempt's own timestamp.
   */
  'deliver-webhook': { webhookId: string; messageId: string; body: string };
}

export type QueueName = keyof QueuePayloads;

/** The one `process-image` job of an image: enqueueing it twice runs it once. */
export function processImageJobId(imageId: string): string {
  return `${imageId}.process`;
}

const queueNames: Record<QueueName, true> = {
  'process-image': true,
  'sweep-uploads': true,
  'deliver-webhook': true,
};

/** Every queue name, for adapters that set their queues up front. */
export const QUEUE_NAMES = Object.keys(queueNames) as QueueName[];
