import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Broadcaster } from '../../broadcast/broadcaster';
import { SessionRepository } from '../../persistence';
import { AuthErrors } from './auth-errors';
import { TtlCache } from './ttl-cache';

const CACHE_TTL_MS = 30_000;

/** Whether a login session still stands; logout anywhere is heard by every replica. */
@Injectable()
export class SessionAuthenticator implements OnModuleInit, OnModuleDestroy {
  private readonly active = new TtlCache<string, boolean>(CACHE_TTL_MS, 10_000);
  private unsubscribe?: () => void;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly broadcaster: Broadcaster,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.broadcaster.subscribe('credentials-changed', () => this.active.clear());
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async assertActive(sessionId: string, now = new Date()): Promise<void> {
    let active = this.active.get(sessionId);
    if (active === undefined) {
      const session = await this.sessions.findById(sessionId);
      active = !!session && !session.revokedAt && session.expiresAt > now;
      this.active.set(sessionId, active);
    }
    if (!active) throw AuthErrors.revoked();
  }
}
