import { Injectable } from '@nestjs/common';
import { request as httpRequest, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { useAgent } from 'request-filtering-agent';
import { Webhook } from 'standardwebhooks';
import { AppConfig } from '../../../config';
import { WebhookRecord, WebhookRepository } from '../../persistence';
import { Job } from '../../queue/job-queue';
import { DeliveryOutcome, RealtimeMetrics } from '../realtime-metrics';

interface Answer {
  statusCode: number | null;
  error: string | null;
  outcome: DeliveryOutcome;
}

const MAX_ERROR_LENGTH = 500;

/**
 * One attempt of a `deliver-webhook` job: a signed JSON POST (Standard Webhooks headers), no
 * redirects followed, a timeout, and the connection refused to non-public addresses unless
 * WEBHOOK_ALLOW_PRIVATE. Every attempt is logged; anything but a 2xx throws, so the queue
 * retries it with backoff under the same message id.
 */
@Injectable()
export class WebhookSender {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly config: AppConfig,
    private readonly metrics: RealtimeMetrics,
  ) {}

  async deliver(job: Job<'deliver-webhook'>): Promise<void> {
    const { webhookId, messageId, body } = job.payload;
    const webhook = await this.webhooks.findById(webhookId);
    if (!webhook) return; // deleted since: nobody to tell
    const started = performance.now();
    const answer = await this.post(webhook, messageId, body);
    const durationMs = performance.now() - started;
    this.metrics.webhookDeliveries.inc({ outcome: answer.outcome });
    await this.webhooks.recordDelivery({
      webhookId,
      messageId,
      eventType: (JSON.parse(body) as { type: string }).type,
      attempt: job.attempt,
      statusCode: answer.statusCode,
      durationMs,
      error: answer.error,
      succeeded: answer.outcome === 'delivered',
    });
    if (answer.outcome !== 'delivered') {
      throw new Error(`Webhook ${webhookId} not delivered: ${answer.error}`);
    }
  }

  private post(webhook: WebhookRecord, messageId: string, body: string): Promise<Answer> {
    const timestamp = new Date();
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Vireo-Webhooks/1',
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(webhook.secret).sign(messageId, timestamp, body),
    };
    const options: RequestOptions = {
      method: 'POST',
      headers,
      timeout: this.config.webhooks.timeoutMs,
      agent: useAgent(webhook.url, {
        allowPrivateIPAddress: this.config.webhooks.allowPrivate,
        keepAlive: false,
      }),
    };
    const send = webhook.url.startsWith('https:') ? httpsRequest : httpRequest;
    return new Promise<Answer>((resolve) => {
      const request = send(webhook.url, options, (response) => {
        response.resume();
        const statusCode = response.statusCode ?? null;
        const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
        resolve({
          statusCode,
          error: ok ? null : `The receiver answered ${statusCode}`,
          outcome: ok ? 'delivered' : 'rejected',
        });
      });
      request.on('timeout', () => {
        request.destroy();
        resolve({
          statusCode: null,
          error: `No answer within ${this.config.webhooks.timeoutMs} ms`,
          outcome: 'timeout',
        });
      });
      request.on('error', (error) =>
        resolve({
          statusCode: null,
          error: error.message.slice(0, MAX_ERROR_LENGTH),
          outcome: 'error',
        }),
      );
      request.end(body);
    });
  }
}
