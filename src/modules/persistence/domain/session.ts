/** A login session; the refresh token's secret is stored hashed and rotated on each use. */
export interface SessionRecord {
  id: string;
  userId: string;
  refreshHash: string;
  userAgent: string | null;
  ip: string | null;
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

export interface NewSession {
  userId: string;
  refreshHash: string;
  expiresAt: Date;
  userAgent?: string;
  ip?: string;
}

export abstract class SessionRepository {
  abstract create(session: NewSession): Promise<SessionRecord>;

  abstract findById(id: string): Promise<SessionRecord | null>;

  /**
   * Compare-and-set of the refresh hash: succeeds only while the session is live and still holds
   * `currentHash`, so a refresh token works once even when presented twice at the same time.
   */
  abstract rotate(
    id: string,
    currentHash: string,
    nextHash: string,
    expiresAt: Date,
    at?: Date,
  ): Promise<boolean>;

  /** Resolves true when this call revoked the session. */
  abstract revoke(id: string, at?: Date): Promise<boolean>;

  /** Resolves with how many live sessions were revoked. */
  abstract revokeAllForUser(userId: string, at?: Date): Promise<number>;
}
