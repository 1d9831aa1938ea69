import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { EventEmitter } from 'node:events';
import { RedisConfig } from '../../config';
import { BroadcastChannel, BroadcastMessages } from './broadcast-messages';
import { BroadcastHandler, Broadcaster } from './broadcaster';

const COMMAND_TIMEOUT_MS = 2000;

/** Redis pub/sub, channels under the deployment's key prefix. */
export class RedisBroadcaster extends Broadcaster implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisBroadcaster.name);
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly local = new EventEmitter().setMaxListeners(0);

  constructor(private readonly redis: RedisConfig) {
    super();
    const options = {
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    };
    this.publisher = new Redis(redis.url, { ...options, connectionName: 'vireo-broadcast-pub' });
    // The subscriber must queue its SUBSCRIBE until connected, and keep retrying.
    this.subscriber = new Redis(redis.url, {
      connectionName: 'vireo-broadcast-sub',
      maxRetriesPerRequest: null,
    });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error) => this.logger.warn(`Redis: ${error.message}`));
    }
    this.subscriber.on('message', (channel: string, raw: string) => this.deliver(channel, raw));
  }

  async publish<C extends BroadcastChannel>(
    channel: C,
    message: BroadcastMessages[C],
  ): Promise<void> {
    await this.publisher.publish(this.redisChannel(channel), JSON.stringify(message));
  }

  subscribe<C extends BroadcastChannel>(channel: C, handler: BroadcastHandler<C>): () => void {
    const redisChannel = this.redisChannel(channel);
    if (this.local.listenerCount(redisChannel) === 0) {
      this.subscriber.subscribe(redisChannel).catch((error: Error) => {
        this.logger.error(`Cannot subscribe to ${redisChannel}: ${error.message}`);
      });
    }
    this.local.on(redisChannel, handler);
    return () => this.local.off(redisChannel, handler);
  }

  /** Resolves once every subscription so far is active on the server. */
  async ready(): Promise<void> {
    await this.subscriber.ping();
  }

  /** Fire-and-forget has nothing in flight to flush; `quit()` would wait for a lost server. */
  async onApplicationShutdown(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private deliver(redisChannel: string, raw: string): void {
    try {
      this.local.emit(redisChannel, JSON.parse(raw));
    } catch (error) {
      this.logger.warn(
        `Dropped a malformed message on ${redisChannel}: ${(error as Error).message}`,
      );
    }
  }

  private redisChannel(channel: BroadcastChannel): string {
    return `${this.redis.prefix}:broadcast:${channel}`;
  }
}
