import { Injectable } from '@nestjs/common';
import type { Webhook as WebhookRow } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import {
  NewWebhook,
  NewWebhookDelivery,
  WebhookDeliveryRecord,
  WebhookEventType,
  WebhookRecord,
  WebhookRepository,
} from '../domain/webhook';
import { ImageRecord } from '../domain/image';
import { isUuid } from './ids';
import { toImageRecord } from './prisma-image.repository';

@Injectable()
export class PrismaWebhookRepository extends WebhookRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  async create(webhook: NewWebhook): Promise<WebhookRecord> {
    return toWebhookRecord(await this.db.prisma.webhook.create({ data: webhook }));
  }

  async listForOwner(ownerId: string): Promise<WebhookRecord[]> {
    if (!isUuid(ownerId)) return [];
    const rows = await this.db.prisma.webhook.findMany({
      where: { ownerId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toWebhookRecord);
  }

  async listSubscribed(ownerId: string, event: WebhookEventType): Promise<WebhookRecord[]> {
    if (!isUuid(ownerId)) return [];
    const rows = await this.db.prisma.webhook.findMany({
      where: { ownerId, events: { has: event } },
    });
    return rows.map(toWebhookRecord);
  }

  async findById(id: string, ownerId?: string): Promise<WebhookRecord | null> {
    if (!isUuid(id) || (ownerId !== undefined && !isUuid(ownerId))) return null;
    const row = await this.db.prisma.webhook.findFirst({ where: { id, ownerId } });
    return row ? toWebhookRecord(row) : null;
  }

  async delete(id: string, ownerId: string): Promise<boolean> {
    if (!isUuid(id) || !isUuid(ownerId)) return false;
    const { count } = await this.db.prisma.webhook.deleteMany({ where: { id, ownerId } });
    return count > 0;
  }

  async recordDelivery(delivery: NewWebhookDelivery): Promise<void> {
    await this.db.prisma.webhookDelivery.create({ data: delivery });
  }

  async findUnannounced(
    event: WebhookEventType,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<ImageRecord[]> {
    const status = event === 'image.failed' ? 'failed' : 'processed';
    const quarantinedOnly = event === 'image.quarantined';
    // The message id is webhookMessageId(image id, event), built here in SQL. `updated_at`
    // moves with any later change (a label, retention), so the event's own time is checked
    // too: processed_at where there is one (a failure keeps no time of its own).
    const found = await this.db.prisma.$queryRaw<{ id: string }[]>`
      SELECT i.id::text AS id FROM images i
      WHERE i.status = ${status}::image_status AND (${quarantinedOnly} = false OR i.quarantined)
        AND i.updated_at >= ${from} AND i.updated_at < ${to}
        AND COALESCE(i.processed_at, i.updated_at) >= ${from}
        AND EXISTS (
          SELECT 1 FROM webhooks w
          WHERE w.owner_id = i.owner_id AND ${event} = ANY(w.events)
            AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries d
              WHERE d.webhook_id = w.id AND d.succeeded
                AND d.message_id = 'msg_' || i.id::text || '.' || ${event}))
      ORDER BY i.updated_at LIMIT ${limit}`;
    if (found.length === 0) return [];
    const rows = await this.db.prisma.image.findMany({
      where: { id: { in: found.map((row) => row.id) } },
      orderBy: { updatedAt: 'asc' },
    });
    return rows.map(toImageRecord);
  }

  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    if (!isUuid(webhookId)) return [];
    return this.db.prisma.webhookDelivery.findMany({
      where: { webhookId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  async deleteForOwner(ownerId: string): Promise<number> {
    if (!isUuid(ownerId)) return 0;
    const { count } = await this.db.prisma.webhook.deleteMany({ where: { ownerId } });
    return count;
  }
}

function toWebhookRecord(row: WebhookRow): WebhookRecord {
  return { ...row, events: row.events as WebhookEventType[] };
}
