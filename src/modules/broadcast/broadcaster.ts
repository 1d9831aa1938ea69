import { BroadcastChannel, BroadcastMessages } from './broadcast-messages';

export type BroadcastHandler<C extends BroadcastChannel> = (message: BroadcastMessages[C]) => void;

/**
 * Fire-and-forget messages to every process of the deployment (Redis pub/sub), or to this
 * process only (in-process) on the embedded default. A subscriber that is down misses the
 * message, so subscribers also keep state that heals by itself (caches with a TTL).
 */
export abstract class Broadcaster {
  abstract publish<C extends BroadcastChannel>(
    channel: C,
    message: BroadcastMessages[C],
  ): Promise<void>;

  /** Returns a function that unsubscribes. */
  abstract subscribe<C extends BroadcastChannel>(
    channel: C,
    handler: BroadcastHandler<C>,
  ): () => void;
}
