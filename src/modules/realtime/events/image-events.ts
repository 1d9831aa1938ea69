import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { BroadcastMessages } from '../../broadcast/broadcast-messages';
import { Broadcaster } from '../../broadcast/broadcaster';
import { ImageRecord, PredictionRecord } from '../../persistence';
import { predictionSnapshot, statusSnapshot } from './image-snapshot';

export type ImageEvent = BroadcastMessages['image-event'];
type Listener = (event: ImageEvent) => void;

/**
 * Image events to every replica (Redis pub/sub, or in-process on the embedded default): the
 * pipeline publishes, SSE streams listen per image. One broadcast subscription per process,
 * dispatched by image id.
 */
@Injectable()
export class ImageEvents implements OnModuleDestroy {
  private readonly logger = new Logger(ImageEvents.name);
  private readonly listeners = new Map<string, Set<Listener>>();
  private unsubscribe?: () => void;

  constructor(private readonly broadcaster: Broadcaster) {}

  /** Subscribes this process to every image's events (web replicas do it at boot). */
  subscribe(): void {
    this.unsubscribe ??= this.broadcaster.subscribe('image-event', (event) =>
      this.listeners.get(event.imageId)?.forEach((l) => l(event)),
    );
  }

  /** Returns a function that stops listening. */
  listen(imageId: string, listener: Listener): () => void {
    this.subscribe();
    let listeners = this.listeners.get(imageId);
    if (!listeners) this.listeners.set(imageId, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.listeners.delete(imageId);
    };
  }

  status(image: ImageRecord): Promise<void> {
    return this.publish({ imageId: image.id, event: 'status', data: { ...statusSnapshot(image) } });
  }

  /** Each prediction, then the status: a client that sees `processed` has every result. */
  async processed(image: ImageRecord, predictions: PredictionRecord[]): Promise<void> {
    for (const prediction of predictions) {
      await this.publish({
        imageId: image.id,
        event: 'prediction',
        data: { ...predictionSnapshot(prediction) },
      });
    }
    await this.status(image);
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Fire and forget: a stream that misses an event catches up from the database. */
  private async publish(event: ImageEvent): Promise<void> {
    try {
      await this.broadcaster.publish('image-event', event);
    } catch (error) {
      this.logger.warn(`Image event not published: ${(error as Error).message}`);
    }
  }
}
