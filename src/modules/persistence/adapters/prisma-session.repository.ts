import { Injectable } from '@nestjs/common';
import { DatabaseClient } from '../database/database-client';
import { NewSession, SessionRecord, SessionRepository } from '../domain/session';
import { isUuid } from './ids';

@Injectable()
export class PrismaSessionRepository extends SessionRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  private get sessions() {
    return this.db.prisma.session;
  }

  create(session: NewSession): Promise<SessionRecord> {
    return this.sessions.create({ data: session });
  }

  async findById(id: string): Promise<SessionRecord | null> {
    return isUuid(id) ? this.sessions.findUnique({ where: { id } }) : null;
  }

  async rotate(
    id: string,
    currentHash: string,
    nextHash: string,
    expiresAt: Date,
    at = new Date(),
  ): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { count } = await this.sessions.updateMany({
      where: { id, refreshHash: currentHash, revokedAt: null, expiresAt: { gt: at } },
      data: { refreshHash: nextHash, expiresAt, lastUsedAt: at },
    });
    return count > 0;
  }

  async revoke(id: string, at = new Date()): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { count } = await this.sessions.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: at },
    });
    return count > 0;
  }

  async revokeAllForUser(userId: string, at = new Date()): Promise<number> {
    if (!isUuid(userId)) return 0;
    const { count } = await this.sessions.updateMany({
      where: { userId, revokedAt: null },
      data: { revokedAt: at },
    });
    return count;
  }
}
