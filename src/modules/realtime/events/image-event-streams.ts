import { HttpStatus, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createSession, Session } from 'better-sse';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../common/app-error';
import { AppConfig } from '../../../config';
import { ImageRecord, ImageRepository, PredictionRepository } from '../../persistence';
import { RealtimeMetrics } from '../realtime-metrics';
import { ImageEvent, ImageEvents } from './image-events';
import {
  FINAL_STATUSES,
  imageSnapshot,
  predictionSnapshot,
  statusSnapshot,
} from './image-snapshot';

/**
 * The SSE streams of `/v1/images/:id/events` on this replica. A stream listens before it
 * reads the image, so nothing that happens in between is missed: first a `state` event (the
 * image as it is), then `prediction` and `status` events, and it ends once the image is
 * `processed` or `failed`. Pub/sub may drop a message, so at every heartbeat a stream also
 * rereads the image and sends what it missed. On shutdown streams end (clients reconnect to
 * another replica), so they never hold the drain up.
 */
@Injectable()
export class ImageEventStreams implements OnModuleInit, OnModuleDestroy {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly images: ImageRepository,
    private readonly predictions: PredictionRepository,
    private readonly events: ImageEvents,
    private readonly metrics: RealtimeMetrics,
    private readonly config: AppConfig,
    private readonly http: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    // Subscribed before the first client connects: nothing published meanwhile is missed.
    this.events.subscribe();
    this.http.httpAdapter
      ?.getInstance<{ addHook: (name: 'preClose', hook: () => Promise<void>) => void }>()
      .addHook('preClose', async () => this.endAll());
  }

  onModuleDestroy(): void {
    this.endAll();
  }

  /**
   * Streams `image` (already checked to be the caller's) to the client. Its first state is read
   * before the stream opens: once the reply is hijacked no error can answer any more, so a
   * database outage then would leave an open stream that never says anything.
   */
  async stream(image: ImageRecord, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const heartbeatMs = this.config.realtime.sseHeartbeatMs;
    const stream = new ImageStream(image.id, () => this.snapshotOf(image.id));
    const stopListening = this.events.listen(image.id, (event) => stream.receive(event));
    const first = await this.snapshotOf(image.id).catch((error: unknown) => {
      stopListening();
      throw error;
    });
    if (!first) {
      stopListening();
      throw imageNotFound();
    }
    // better-sse learns of a disconnect from the 'close' events: one that came while the
    // state was read would never reach the session, and the stream would run on for nobody.
    if (reply.raw.destroyed) return stopListening();
    reply.hijack();
    const session = await createSession(request.raw, reply.raw, {
      keepAlive: heartbeatMs,
      retry: null,
      trustClientEventId: false,
      headers: { ...headersOf(reply), 'x-accel-buffering': 'no' },
    });
    const resync = setInterval(() => void stream.catchUp(), heartbeatMs);
    const end = () => reply.raw.end();
    this.open.add(end);
    this.metrics.sseClients.inc();
    session.once('disconnected', () => {
      stopListening();
      clearInterval(resync);
      this.open.delete(end);
      this.metrics.sseClients.dec();
    });
    stream.start(session, first, end);
  }

  private async snapshotOf(id: string) {
    const image = await this.images.findById(id);
    if (!image) return null;
    return { image, predictions: await this.predictions.listForImage(id) };
  }

  private endAll(): void {
    for (const end of [...this.open]) end();
  }
}

type Snapshot = Awaited<ReturnType<ImageEventStreams['snapshotOf']>>;

/** One client's stream of one image. */
class ImageStream {
  private readonly sentPredictions = new Set<string>();
  /** Events that arrived before the stream opened. */
  private buffered: ImageEvent[] | null = [];
  private ended = false;
  private session?: Session;
  private end: () => void = () => undefined;

  constructor(
    private readonly imageId: string,
    private readonly read: () => Promise<Snapshot>,
  ) {}

  /** The state read before opening, then whatever arrived since. */
  start(session: Session, { image, predictions }: NonNullable<Snapshot>, end: () => void): void {
    this.session = session;
    this.end = end;
    for (const prediction of predictions)
      this.sentPredictions.add(keyOf(prediction.modelName, prediction.modelVersion));
    this.send(imageSnapshot(image, predictions), 'state');
    if (FINAL_STATUSES.includes(image.status)) return this.finish();
    const early = this.buffered ?? [];
    this.buffered = null;
    for (const event of early) this.receive(event);
  }

  receive(event: ImageEvent): void {
    if (this.ended) return;
    if (this.buffered) {
      this.buffered.push(event);
      return;
    }
    if (event.event === 'prediction') {
      const { model, version } = event.data as { model: string; version: number };
      if (this.sentPredictions.has(keyOf(model, version))) return;
      this.sentPredictions.add(keyOf(model, version));
    }
    this.send(event.data, event.event);
    const status = event.event === 'status' && (event.data as { status: string }).status;
    if (status && (FINAL_STATUSES as string[]).includes(status)) this.finish();
  }

  /** Sends from the database what pub/sub did not deliver. */
  async catchUp(): Promise<void> {
    if (this.ended || this.buffered) return;
    const snapshot = await this.read().catch(() => undefined);
    if (snapshot === undefined || this.ended) return;
    if (!snapshot) return this.finish();
    const { image, predictions } = snapshot;
    if (!FINAL_STATUSES.includes(image.status)) return;
    for (const prediction of predictions) {
      this.receive({
        imageId: this.imageId,
        event: 'prediction',
        data: { ...predictionSnapshot(prediction) },
      });
    }
    this.receive({ imageId: this.imageId, event: 'status', data: { ...statusSnapshot(image) } });
  }

  private send(data: unknown, event: string): void {
    if (this.session?.isConnected) this.session.push(data, event);
  }

  private finish(): void {
    this.ended = true;
    this.end();
  }
}

export function imageNotFound(): AppError {
  return new AppError(HttpStatus.NOT_FOUND, 'image_not_found', 'No such image');
}

function keyOf(model: string, version: number): string {
  return `${model}@${version}`;
}

/** Headers set so far by hooks (request id, security, CORS), which a hijacked reply must send itself. */
function headersOf(reply: FastifyReply): Record<string, string> {
  return Object.fromEntries(
    Object.entries(reply.getHeaders())
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, String(value)]),
  );
}
