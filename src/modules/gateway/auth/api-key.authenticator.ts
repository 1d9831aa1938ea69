import { Injectable } from '@nestjs/common';
import { Clock } from '../../../common/clock';
import { ApiKeyRepository } from '../../persistence';
import { apiKeySecretMatches, hashApiKeySecret, parseApiKey } from './api-key';
import { AuthErrors } from './auth-errors';
import { knownScopes, Principal, RateLimitClass } from './principal';
import { CredentialCache } from './credential-cache';
import { LastUsedRecorder } from './last-used-recorder';

/** Compared against when the prefix is unknown, so both failures take the same time. */
const NO_SUCH_KEY_HASH = hashApiKeySecret('no such key');

/** Checks `vir_<prefix>_<secret>` keys; a revocation holds on every replica at once. */
@Injectable()
export class ApiKeyAuthenticator {
  constructor(
    private readonly apiKeys: ApiKeyRepository,
    private readonly cache: CredentialCache,
    private readonly lastUsed: LastUsedRecorder,
    private readonly clock: Clock,
  ) {}

  async authenticate(key: string): Promise<Principal> {
    const now = new Date(this.clock.now());
    const parts = parseApiKey(key);
    if (!parts) throw AuthErrors.malformed();
    const record = await this.cache.getOrLoad(`key:${parts.prefix}`, () =>
      this.apiKeys.findByPrefix(parts.prefix),
    );
    const secretMatches = apiKeySecretMatches(parts.secret, record?.secretHash ?? NO_SUCH_KEY_HASH);
    if (!record || !secretMatches) throw AuthErrors.invalid();
    if (record.revokedAt) throw AuthErrors.revoked();
    if (record.expiresAt && record.expiresAt <= now) throw AuthErrors.expired();
    this.lastUsed.record(record.id, now);
    return {
      kind: 'api_key',
      id: record.id,
      ownerId: record.ownerId,
      scopes: knownScopes(record.scopes),
      rateLimits: (record.rateLimits ?? undefined) as
        Partial<Record<RateLimitClass, number>> | undefined,
      ...(record.expiresAt && { expiresAt: record.expiresAt }),
    };
  }
}
