import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Broadcaster } from '../../broadcast/broadcaster';
import { TtlCache } from './ttl-cache';

const TTL_MS = 30_000;
const MAX_ENTRIES = 20_000;

/**
 * Credentials looked up recently (API keys, sessions), so a request costs no database
 * round trip. Any credential change is broadcast, and every replica then drops its whole
 * cache at once; the TTL heals a replica that missed the message.
 */
@Injectable()
export class CredentialCache implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new TtlCache<string, unknown>(TTL_MS, MAX_ENTRIES);
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
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached as V;
    const value = await load();
    this.entries.set(key, value);
    return value;
  }
}
