import { Injectable } from '@nestjs/common';
import type { AuditEntry as AuditRow, Prisma } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import { AuditEntry, AuditEvent, AuditLogRepository } from '../domain/audit';
import { isUuid } from './ids';

@Injectable()
export class PrismaAuditLogRepository extends AuditLogRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  async append({ details, ...event }: AuditEvent): Promise<AuditEntry> {
    const row = await this.db.prisma.auditEntry.create({
      data: { ...event, details: details as Prisma.InputJsonObject | undefined },
    });
    return toAuditEntry(row);
  }

  async listForOwner(ownerId: string, limit: number): Promise<AuditEntry[]> {
    if (!isUuid(ownerId)) return [];
    const rows = await this.db.prisma.auditEntry.findMany({
      where: { ownerId },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: limit,
    });
    return rows.map(toAuditEntry);
  }
}

function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    ...row,
    actorKind: row.actorKind as AuditEntry['actorKind'],
    details: row.details as Record<string, unknown> | null,
  };
}
