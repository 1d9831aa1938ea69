import type { ImageRecord } from './image';

export const WEBHOOK_EVENT_TYPES = [
  'image.processed',
  'image.failed',
  'image.quarantined',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * The `webhook-id` of an image's event: the same for every attempt and every announcement of
 * it, so receivers can drop repeats. The delivery log is searched by it (`findUnannounced`).
 */
export function webhookMessageId(imageId: string, event: WebhookEventType): string {
  return `msg_${imageId}.${event}`;
}

export interface WebhookRecord {
  id: string;
  ownerId: string;
  url: string;
  events: WebhookEventType[];
  /** `whsec_...`: signs every delivery. */
  secret: string;
  createdAt: Date;
}

export type NewWebhook = Omit<WebhookRecord, 'id' | 'createdAt'>;

/** One attempt at delivering one message. */
export interface WebhookDeliveryRecord {
  id: string;
  webhookId: string;
  /** The `webhook-id` header, the same on every attempt of one message. */
  messageId: string;
  eventType: string;
  attempt: number;
  /** Null when no answer came (timeout, connection refused, address blocked). */
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  succeeded: boolean;
  createdAt: Date;
}

export type NewWebhookDelivery = Omit<WebhookDeliveryRecord, 'id' | 'createdAt'>;

export abstract class WebhookRepository {
  abstract create(webhook: NewWebhook): Promise<WebhookRecord>;

  /** Oldest first. */
  abstract listForOwner(ownerId: string): Promise<WebhookRecord[]>;

  /** The owner's webhooks subscribed to `event`. */
  abstract listSubscribed(ownerId: string, event: WebhookEventType): Promise<WebhookRecord[]>;

  /** Unscoped when `ownerId` is absent (a delivery job knows only the webhook's id). */
  abstract findById(id: string, ownerId?: string): Promise<WebhookRecord | null>;

  /** Removes the webhook and its delivery log; false when it was not the owner's. */
  abstract delete(id: string, ownerId: string): Promise<boolean>;

  abstract recordDelivery(delivery: NewWebhookDelivery): Promise<void>;

  /** Newest first. */
  abstract listDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRecord[]>;

  /**
   * Images that reached `event`'s state (processed, quarantined, failed) between `from` and
   * `to` and were last changed in that window too, while their owner has a webhook subscribed
   * to it with no succeeded delivery of that message: announcements a lost queue may have
   * dropped. Oldest first.
   */
  abstract findUnannounced(
    event: WebhookEventType,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<ImageRecord[]>;

  /** Erases every webhook of the owner with its delivery log; resolves with how many went. */
  abstract deleteForOwner(ownerId: string): Promise<number>;
}
