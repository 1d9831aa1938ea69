import { Injectable } from '@nestjs/common';
import type { AccountErasure as AccountErasureRow, Prisma } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import {
  AccountErasureRecord,
  AccountErasureRepository,
  ErasureRequester,
  LastAdminError,
  OwnerImageRange,
} from '../domain/account-erasure';
import { ImageRecord } from '../domain/image';
import { isUuid } from './ids';
import { isUniqueViolation } from './prisma-errors';
import { toImageRecord } from './prisma-image.repository';

const ADMIN_SCOPE = 'admin';

@Injectable()
export class PrismaAccountErasureRepository extends AccountErasureRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  async begin(userId: string, requestedBy: ErasureRequester): Promise<AccountErasureRecord | null> {
    if (!isUuid(userId)) return null;
    const running = await this.db.prisma.accountErasure.findUnique({ where: { userId } });
    if (running) return toRecord(running);
    try {
      return await this.db.prisma.$transaction(async (tx) => {
        const user = await tx.user.findUnique({ where: { id: userId }, select: { scopes: true } });
        if (!user) return null;
        if (user.scopes.includes(ADMIN_SCOPE)) await keepAnotherAdmin(tx, userId);
        return toRecord(await tx.accountErasure.create({ data: { userId, requestedBy } }));
      });
    } catch (error) {
      // A concurrent request began it first: that one is ours too.
      if (!isUniqueViolation(error)) throw error;
      return this.begin(userId, requestedBy);
    }
  }

  async findById(id: string): Promise<AccountErasureRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.db.prisma.accountErasure.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async revokeAccess(userId: string): Promise<void> {
    await this.db.prisma.$transaction([
      this.db.prisma.user.updateMany({
        where: { id: userId, disabledAt: null },
        data: { disabledAt: new Date() },
      }),
      this.db.prisma.apiKey.deleteMany({ where: { ownerId: userId } }),
      this.db.prisma.session.deleteMany({ where: { userId } }),
    ]);
  }

  async imageIdBounds(ownerId: string, every: number): Promise<string[]> {
    const rows = await this.db.prisma.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM (
        SELECT id, row_number() OVER (ORDER BY id) AS position FROM images
        WHERE owner_id = ${ownerId}::uuid) numbered
      WHERE position % ${every} = 0
      ORDER BY id`;
    return rows.map((row) => row.id);
  }

  async imagesOf(ownerId: string, range: OwnerImageRange, limit: number): Promise<ImageRecord[]> {
    const rows = await this.db.prisma.image.findMany({
      where: { ownerId, id: { gt: range.after, lte: range.through } },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map(toImageRecord);
  }

  async deleteImages(ownerId: string, ids: string[]): Promise<number> {
    const { count } = await this.db.prisma.image.deleteMany({
      where: { ownerId, id: { in: ids } },
    });
    return count;
  }

  async addProgress(id: string, images: number, objects: number): Promise<void> {
    await this.db.prisma.accountErasure.update({
      where: { id },
      data: { images: { increment: images }, objects: { increment: objects } },
    });
  }

  async deleteAccountRows(userId: string): Promise<void> {
    const { prisma } = this.db;
    await prisma.$transaction([
      prisma.webhook.deleteMany({ where: { ownerId: userId } }),
      prisma.dailyAggregate.deleteMany({ where: { ownerId: userId } }),
      prisma.dailyReport.deleteMany({ where: { ownerId: userId } }),
      prisma.auditEntry.deleteMany({ where: { OR: [{ ownerId: userId }, { actorId: userId }] } }),
      // Runs the user started stay, without saying who started them.
      prisma.batchRun.updateMany({
        where: { requestedBy: `user:${userId}` },
        data: { requestedBy: null },
      }),
      prisma.user.deleteMany({ where: { id: userId } }),
    ]);
  }

  async complete(id: string): Promise<AccountErasureRecord> {
    const row = await this.db.prisma.accountErasure.update({
      where: { id },
      data: { userId: null, completedAt: new Date() },
    });
    return toRecord(row);
  }
}

function toRecord(row: AccountErasureRow): AccountErasureRecord {
  return { ...row, requestedBy: row.requestedBy as ErasureRequester };
}

/**
 * Throws `LastAdminError` unless an enabled admin other than `userId`, not being erased, remains.
 * Every admin row is locked first (in id order): two admins erasing each other queue here, and
 * the second sees the first's erasure when it counts.
 */
async function keepAnotherAdmin(tx: Prisma.TransactionClient, userId: string): Promise<void> {
  await tx.$queryRaw`
    SELECT id FROM users WHERE ${ADMIN_SCOPE} = ANY(scopes) ORDER BY id FOR UPDATE`;
  const [{ others }] = await tx.$queryRaw<{ others: number }[]>`
    SELECT count(*)::int AS others FROM users u
    WHERE ${ADMIN_SCOPE} = ANY(u.scopes) AND u.disabled_at IS NULL AND u.id <> ${userId}::uuid
      AND NOT EXISTS (SELECT 1 FROM account_erasures e WHERE e.user_id = u.id)`;
  if (others === 0) throw new LastAdminError();
}
