export const SCOPES = ['images:write', 'images:read', 'predict', 'models:admin', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const RATE_LIMIT_CLASSES = ['uploads', 'predict', 'reads', 'keys'] as const;
export type RateLimitClass = (typeof RATE_LIMIT_CLASSES)[number];
/** The classes a key may carry a limit of its own for (key management has one budget). */
export const KEY_RATE_LIMIT_CLASSES = ['uploads', 'predict', 'reads'] as const;

/** Who a request acts for, once authenticated; every data query is scoped by `ownerId`. */
export interface Principal {
  kind: 'api_key' | 'user';
  /** The API key's id or the user's id: what rate limits count against. */
  id: string;
  ownerId: string;
  scopes: Scope[];
  sessionId?: string;
  rateLimits?: Partial<Record<RateLimitClass, number>>;
  /** When the credential stops working (an API key's expiry); users do not expire. */
  expiresAt?: Date;
}

/** Scopes as stored; anything this version does not know grants nothing. */
export function knownScopes(scopes: readonly string[]): Scope[] {
  return scopes.filter((scope): scope is Scope => (SCOPES as readonly string[]).includes(scope));
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}
