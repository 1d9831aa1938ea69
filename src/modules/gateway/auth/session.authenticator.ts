import { Injectable } from '@nestjs/common';
import { SessionRepository } from '../../persistence';
import { AuthErrors } from './auth-errors';
import { CredentialCache } from './credential-cache';

/** Whether a login session still stands; logout anywhere is heard by every replica. */
@Injectable()
export class SessionAuthenticator {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly cache: CredentialCache,
  ) {}

  async assertActive(sessionId: string, now = new Date()): Promise<void> {
    const session = await this.cache.getOrLoad(`session:${sessionId}`, () =>
      this.sessions.findById(sessionId),
    );
    if (!session || session.revokedAt || session.expiresAt <= now) throw AuthErrors.revoked();
  }
}
