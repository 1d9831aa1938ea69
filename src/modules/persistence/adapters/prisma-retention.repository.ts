import { Injectable } from '@nestjs/common';
import { DatabaseClient } from '../database/database-client';
import { ImageRecord } from '../domain/image';
import { RetentionRepository } from '../domain/retention';
import { toImageRecord } from './prisma-image.repository';

@Injectable()
export class PrismaRetentionRepository extends RetentionRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  countOriginalsBefore(cutoff: Date): Promise<number> {
    return this.db.prisma.image.count({ where: originalsBefore(cutoff) });
  }

  async originalsBefore(cutoff: Date, limit: number): Promise<ImageRecord[]> {
    const rows = await this.db.prisma.image.findMany({
      where: originalsBefore(cutoff),
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toImageRecord);
  }

  async markOriginalsDeleted(ids: string[], at: Date): Promise<void> {
    await this.db.prisma.image.updateMany({
      where: { id: { in: ids }, originalDeletedAt: null },
      data: { originalDeletedAt: at },
    });
  }

  countDerivativesBefore(cutoff: Date): Promise<number> {
    return this.db.prisma.image.count({ where: derivativesBefore(cutoff) });
  }

  async derivativesBefore(cutoff: Date, limit: number): Promise<ImageRecord[]> {
    const rows = await this.db.prisma.image.findMany({
      where: derivativesBefore(cutoff),
      orderBy: [{ processedAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map(toImageRecord);
  }

  async clearDerivatives(ids: string[]): Promise<void> {
    await this.db.prisma.image.updateMany({
      where: { id: { in: ids } },
      data: { derivativeKey: null },
    });
  }

  countPredictionsBefore(cutoff: Date): Promise<number> {
    return this.db.prisma.prediction.count({ where: { createdAt: { lt: cutoff } } });
  }

  deletePredictionsBefore(cutoff: Date, limit: number): Promise<number> {
    return this.db.prisma.$executeRaw`
      DELETE FROM predictions WHERE id IN (
        SELECT id FROM predictions WHERE created_at < ${cutoff} ORDER BY created_at LIMIT ${limit})`;
  }
}

/** Settled images (never one still in flight) whose original is still stored. */
function originalsBefore(cutoff: Date) {
  return {
    status: { in: ['processed' as const, 'failed' as const] },
    originalDeletedAt: null,
    OR: [{ uploadedAt: { lt: cutoff } }, { uploadedAt: null, createdAt: { lt: cutoff } }],
  };
}

function derivativesBefore(cutoff: Date) {
  return { derivativeKey: { not: null }, processedAt: { lt: cutoff } };
}
