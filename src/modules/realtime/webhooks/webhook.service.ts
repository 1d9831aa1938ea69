import { HttpStatus, Injectable } from '@nestjs/common';
import { AppError } from '../../../common/app-error';
import { AppConfig } from '../../../config';
import { WebhookDeliveryRecord, WebhookRecord, WebhookRepository } from '../../persistence';
import {
  CreatedWebhookResource,
  CreateWebhookDto,
  WebhookDeliveryResource,
  WebhookResource,
} from './webhook.dto';
import { newWebhookSecret } from './webhook-secret';
import { assertWebhookUrl } from './webhook-url-guard';

/** Endpoints an owner may register: enough for staging + production of a few apps. */
export const MAX_WEBHOOKS_PER_OWNER = 20;
/** Attempts listed by the deliveries route, newest first. */
export const DELIVERIES_SHOWN = 100;

/** An owner's webhook endpoints and their delivery log. */
@Injectable()
export class WebhookService {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly config: AppConfig,
  ) {}

  async create(ownerId: string, dto: CreateWebhookDto): Promise<CreatedWebhookResource> {
    const url = await assertWebhookUrl(dto.url, this.config.webhooks.allowPrivate);
    if ((await this.webhooks.listForOwner(ownerId)).length >= MAX_WEBHOOKS_PER_OWNER) {
      throw new AppError(
        HttpStatus.UNPROCESSABLE_ENTITY,
        'too_many_webhooks',
        `An owner may have at most ${MAX_WEBHOOKS_PER_OWNER} webhooks`,
      );
    }
    const webhook = await this.webhooks.create({
      ownerId,
      url: url.toString(),
      events: dto.events,
      secret: newWebhookSecret(),
    });
    return { ...toResource(webhook), secret: webhook.secret };
  }

  async list(ownerId: string): Promise<WebhookResource[]> {
    return (await this.webhooks.listForOwner(ownerId)).map(toResource);
  }

  async delete(ownerId: string, id: string): Promise<void> {
    if (!(await this.webhooks.delete(id, ownerId))) throw webhookNotFound();
  }

  async deliveries(ownerId: string, id: string): Promise<WebhookDeliveryResource[]> {
    if (!(await this.webhooks.findById(id, ownerId))) throw webhookNotFound();
    return (await this.webhooks.listDeliveries(id, DELIVERIES_SHOWN)).map(toDeliveryResource);
  }
}

function toResource({ id, url, events, createdAt }: WebhookRecord): WebhookResource {
  return { id, url, events, createdAt };
}

function toDeliveryResource(delivery: WebhookDeliveryRecord): WebhookDeliveryResource {
  const { id, messageId, eventType, attempt, statusCode, durationMs, error } = delivery;
  return {
    id,
    messageId,
    event: eventType,
    attempt,
    statusCode,
    durationMs,
    error,
    succeeded: delivery.succeeded,
    createdAt: delivery.createdAt,
  };
}

function webhookNotFound(): AppError {
  return new AppError(HttpStatus.NOT_FOUND, 'webhook_not_found', 'No such webhook');
}
