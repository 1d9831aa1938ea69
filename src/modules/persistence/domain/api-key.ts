export interface ApiKeyRecord {
  id: string;
  ownerId: string;
  name: string;
  /** The public part of `vir_<prefix>_<secret>`; unique. */
  prefix: string;
  secretHash: string;
  scopes: string[];
  /** Per-class overrides of the default rate limits, e.g. `{ uploads: 60 }`. */
  rateLimits: Record<string, number> | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

export interface NewApiKeyRecord {
  ownerId: string;
  name: string;
  prefix: string;
  secretHash: string;
  scopes: string[];
  rateLimits?: Record<string, number> | null;
  expiresAt?: Date | null;
}

export abstract class ApiKeyRepository {
  /** Throws `DuplicateRecordError` when the prefix is taken. */
  abstract create(key: NewApiKeyRecord): Promise<ApiKeyRecord>;

  /** Resolves with the new key, or null when the prefix was taken (e.g. a configured key). */
  abstract createIfAbsent(key: NewApiKeyRecord): Promise<ApiKeyRecord | null>;

  abstract findById(id: string): Promise<ApiKeyRecord | null>;

  /** Revoked and expired keys too: the caller tells them apart. */
  abstract findByPrefix(prefix: string): Promise<ApiKeyRecord | null>;

  /** Newest first. */
  abstract listForOwner(ownerId: string): Promise<ApiKeyRecord[]>;

  /** Resolves true when this call revoked the key (false: absent, not the owner's, or already revoked). */
  abstract revoke(id: string, ownerId?: string, at?: Date): Promise<boolean>;

  /** Records use; writes at most once a minute per key, so it can be called on every request. */
  abstract touchLastUsed(id: string, at?: Date): Promise<void>;
}
