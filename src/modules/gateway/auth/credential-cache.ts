import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Broadcaster } from '../../broadcast/broadcaster';

const TTL_MS = 30_000;
const MAX_ENTRIES = 20_000;

/** lru-cache stores no null (an unknown credential is worth caching too), so values are boxed. */
interface Cached {
  value: unknown;
}

/**
 * Credentials looked up recently (API keys, sessions), so a request costs no database
 * round trip; concurrent requests with one credential share one lookup. Any credential
 * change is broadcast, and every replica then drops its whole cache at once; the TTL heals
 * a replica that missed the message.
 */
@Injectable()
export class CredentialCache implements OnModuleDestroy, OnModuleInit {
  private readonly entries = new LRUCache<string, Cached, () => Promise<unknown>>({
    max: MAX_ENTRIES,
    ttl: TTL_MS,
    fetchMethod: async (_key, _stale, { context: load }) => ({ value: await load() }),
    // A change broadcast during a lookup clears the cache; the lookup still answers its callers.
    ignoreFetchAbort: true,
  });
  private unsubscribe?: () => void;

  constructor(private readonly broadcaster: Broadcaster) {}

  onModuleInit(): void {
    this.unsubscribe = this.broadcaster.subscribe('credentials-changed', () =>
      this.entries.clear(),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async getOrLoad<V>(key: string, load: () => Promise<V>): Promise<V> {
    const cached = await this.entries.fetch(key, { context: load });
    return cached!.value as V;
  }
}
