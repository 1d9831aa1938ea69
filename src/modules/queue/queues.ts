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
  /** Batch work (src/modules/batch), on its own queue and concurrency: see `BatchStep`. */
  batch: BatchStep;
}

/**
 * One step of a batch run: `start` creates a run (from a schedule), `run` runs or plans it,
 * `chunk` does one chunk of a fanned-out run, `finish` (the parent of the chunks in a flow)
 * completes it once every chunk has.
 */
export type BatchStep =
  | { step: 'start'; job: string }
  | { step: 'run'; runId: string }
  | { step: 'chunk'; runId: string; chunk: number }
  | { step: 'finish'; runId: string };

export type QueueName = keyof QueuePayloads;

/** The one `process-image` job of an image: enqueueing it twice runs it once. */
export function processImageJobId(imageId: string): string {
  return `${imageId}.process`;
}

const queueNames: Record<QueueName, true> = {
  'process-image': true,
  'sweep-uploads': true,
  'deliver-webhook': true,
  batch: true,
};

/** Every queue name, for adapters that set their queues up front. */
export const QUEUE_NAMES = Object.keys(queueNames) as QueueName[];
