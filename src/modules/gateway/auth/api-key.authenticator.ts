import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ApiKeyRecord, ApiKeyRepository } from '../../persistence';
import { Broadcaster } from '../../broadcast/broadcaster';
import { apiKeySecretMatches, hashApiKeySecret, parseApiKey } from './api-key';
import { AuthErrors } from './auth-errors';
import { knownScopes, Principal, RateLimitClass } from './principal';
import { TtlCache } from './ttl-cache';

const CACHE_TTL_MS = 30_000;
const CACHE_MAX_KEYS = 10_000;
/** Compared against when the prefix is unknown, so both failures take the same time. */
const NO_SUCH_KEY_HASH = hashApiKeySecret('no such key');

/**
 * Checks `vir_<prefix>_<secret>` keys. Keys are cached briefly; any change to a credential
 * is broadcast to every replica, which drops its cache, so a revocation holds everywhere at once.
 */
@Injectable()
export class ApiKeyAuthenticator implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new TtlCache<string, ApiKeyRecord | null>(CACHE_TTL_MS, CACHE_MAX_KEYS);
  private unsubscribe?: () => void;

  constructor(
    private readonly apiKeys: ApiKeyRepository,
    private readonly broadcaster: Broadcaster,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.broadcaster.subscribe('credentials-changed', () => this.cache.clear());
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async authenticate(key: string, now = new Date()): Promise<Principal> {
    const parts = parseApiKey(key);
    if (!parts) throw AuthErrors.malformed();
    const record = await this.find(parts.prefix);
    const secretMatches = apiKeySecretMatches(parts.secret, record?.secretHash ?? NO_SUCH_KEY_HASH);
    if (!record || !secretMatches) throw AuthErrors.invalid();
    if (record.revokedAt) throw AuthErrors.revoked();
    if (record.expiresAt && record.expiresAt <= now) throw AuthErrors.expired();
    void this.apiKeys.touchLastUsed(record.id, now).catch(() => undefined);
    return {
      kind: 'api_key',
      id: record.id,
      ownerId: record.ownerId,
      scopes: knownScopes(record.scopes),
      rateLimits: (record.rateLimits ?? undefined) as
        Partial<Record<RateLimitClass, number>> | undefined,
    };
  }

  private async find(prefix: string): Promise<ApiKeyRecord | null> {
    const cached = this.cache.get(prefix);
    if (cached !== undefined) return cached;
    const record = await this.apiKeys.findByPrefix(prefix);
    this.cache.set(prefix, record);
    return record;
  }
}
