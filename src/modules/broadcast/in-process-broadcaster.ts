import { EventEmitter } from 'node:events';
import { BroadcastChannel, BroadcastMessages } from './broadcast-messages';
import { BroadcastHandler, Broadcaster } from './broadcaster';

/** Delivers to subscribers of this process, asynchronously as pub/sub would. */
export class InProcessBroadcaster extends Broadcaster {
  private readonly events = new EventEmitter().setMaxListeners(0);

  async publish<C extends BroadcastChannel>(
    channel: C,
    message: BroadcastMessages[C],
  ): Promise<void> {
    const copy = structuredClone(message);
    setImmediate(() => this.events.emit(channel, copy));
  }

  subscribe<C extends BroadcastChannel>(channel: C, handler: BroadcastHandler<C>): () => void {
    this.events.on(channel, handler);
    return () => this.events.off(channel, handler);
  }
}
