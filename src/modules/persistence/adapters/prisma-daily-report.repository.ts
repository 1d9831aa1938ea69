import { Injectable } from '@nestjs/common';
import { Prisma } from '../../../generated/prisma/client';
import type { DailyReport as DailyReportRow } from '../../../generated/prisma/client';
import { DAY_MS } from '../../../common/dates/day-range';
import { DatabaseClient } from '../database/database-client';
import {
  DailyReportQuery,
  DailyReportRecord,
  DailyReportRepository,
  ModelVersionUse,
  NewDailyReport,
  OwnerDayUsage,
} from '../domain/daily-report';
import { UtcDay, utcDay } from '../domain/daily-stats';
import { isUuid } from './ids';

/** The `scope` of the global row; an owner's row has the owner's id. */
const GLOBAL_SCOPE = 'all';

@Injectable()
export class PrismaDailyReportRepository extends DailyReportRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  /**
   * Concurrent rebuilds of one day (two workers) take turns on a transaction lock of the day:
   * with nothing to lock before the first rows exist, both would delete nothing and insert.
   */
  async replaceDay(day: UtcDay, rows: NewDailyReport[]): Promise<void> {
    const date = new Date(`${day}T00:00:00Z`);
    await this.db.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('daily_reports'), ${dayNumber(date)}::int)`;
      await tx.dailyReport.deleteMany({ where: { day: date } });
      await tx.dailyReport.createMany({
        data: rows.map((row) => ({
          day: date,
          scope: row.ownerId ?? GLOBAL_SCOPE,
          ownerId: row.ownerId,
          uploads: row.uploads,
          processed: row.processed,
          failedByCode: row.failedByCode,
          latencyMs: { ...row.latencyMs },
          labels: row.labels,
          quarantined: row.quarantined,
          modelVersions: row.modelVersions as unknown as Prisma.InputJsonValue,
          storedBytes: BigInt(row.storedBytes),
        })),
      });
    });
  }

  async find(query: DailyReportQuery): Promise<DailyReportRecord[]> {
    if (!isUuid(query.ownerId)) return [];
    const scopes = query.includeGlobal ? [GLOBAL_SCOPE, query.ownerId] : [query.ownerId];
    const rows = await this.db.prisma.dailyReport.findMany({
      where: {
        day: { gte: new Date(`${query.from}T00:00:00Z`), lte: new Date(`${query.to}T00:00:00Z`) },
        scope: { in: scopes },
      },
      orderBy: [{ day: 'asc' }, { ownerId: { sort: 'asc', nulls: 'first' } }],
    });
    return rows.map(toDailyReportRecord);
  }

  async usageOfDay(day: UtcDay): Promise<OwnerDayUsage[]> {
    const [versions, bytes] = await Promise.all([
      this.db.prisma.$queryRaw<
        { owner_id: string; model: string; version: number; predictions: string }[]
      >`
        SELECT i.owner_id::text AS owner_id, m.name AS model, mv.version,
               COUNT(*)::text AS predictions
        FROM predictions p
        JOIN images i ON i.id = p.image_id
        JOIN model_versions mv ON mv.id = p.model_version_id
        JOIN models m ON m.id = mv.model_id
        WHERE (p.created_at AT TIME ZONE 'UTC')::date = ${day}::date
        GROUP BY i.owner_id, m.name, mv.version
        ORDER BY m.name, mv.version`,
      this.db.prisma.$queryRaw<{ owner_id: string; bytes: string }[]>`
        SELECT owner_id::text AS owner_id, COALESCE(SUM(size_bytes), 0)::text AS bytes
        FROM images
        WHERE (COALESCE(uploaded_at, created_at) AT TIME ZONE 'UTC')::date = ${day}::date
          AND status <> 'pending' AND original_deleted_at IS NULL
        GROUP BY owner_id`,
    ]);
    const usage = new Map<string, OwnerDayUsage>();
    const of = (ownerId: string) => {
      let entry = usage.get(ownerId);
      if (!entry) usage.set(ownerId, (entry = { ownerId, modelVersions: [], storedBytes: 0 }));
      return entry;
    };
    for (const row of versions) {
      of(row.owner_id).modelVersions.push({
        model: row.model,
        version: row.version,
        predictions: Number(row.predictions),
      });
    }
    for (const row of bytes) of(row.owner_id).storedBytes = Number(row.bytes);
    return [...usage.values()];
  }

  async countBefore(day: UtcDay): Promise<number> {
    return this.db.prisma.dailyReport.count({
      where: { day: { lt: new Date(`${day}T00:00:00Z`) } },
    });
  }

  async deleteBefore(day: UtcDay, limit: number): Promise<number> {
    return this.db.prisma.$executeRaw`
      DELETE FROM daily_reports WHERE (day, scope) IN (
        SELECT day, scope FROM daily_reports WHERE day < ${day}::date ORDER BY day LIMIT ${limit})`;
  }
}

function toDailyReportRecord(row: DailyReportRow): DailyReportRecord {
  return {
    day: utcDay(row.day),
    ownerId: row.ownerId,
    uploads: row.uploads,
    processed: row.processed,
    failedByCode: row.failedByCode as Record<string, number>,
    latencyMs: row.latencyMs as unknown as DailyReportRecord['latencyMs'],
    labels: row.labels as DailyReportRecord['labels'],
    quarantined: row.quarantined,
    modelVersions: row.modelVersions as unknown as ModelVersionUse[],
    storedBytes: Number(row.storedBytes),
    generatedAt: row.generatedAt,
  };
}

/** Days since 1970-01-01: the day's key in the advisory lock (an int4). */
function dayNumber(date: Date): number {
  return Math.round(date.getTime() / DAY_MS);
}
