import { Injectable, Logger } from '@nestjs/common';
import {
  DailyReportRepository,
  DailyStats,
  DailyStatsRepository,
  emptyDailyStats,
  latencyPercentiles,
  ModelVersionUse,
  NewDailyReport,
  OwnerDayUsage,
  UtcDay,
} from '../../persistence';

export interface DailyReportResult {
  day: UtcDay;
  /** Owner rows written (the global row comes on top). */
  owners: number;
}

/**
 * Builds one UTC day's report rows, per owner and over every owner, from the realtime
 * pipeline's live counters (so the report agrees with `GET /v1/stats`) plus what only the
 * images and predictions tables know: model versions used and bytes stored.
 */
@Injectable()
export class DailyReportService {
  private readonly logger = new Logger(DailyReportService.name);

  constructor(
    private readonly stats: DailyStatsRepository,
    private readonly reports: DailyReportRepository,
  ) {}

  async build(day: UtcDay): Promise<DailyReportResult> {
    const [byOwner, [global], usage] = await Promise.all([
      this.stats.findDayByOwner(day),
      this.stats.findDays(null, day, day),
      this.reports.usageOfDay(day),
    ]);
    const usageByOwner = new Map(usage.map((entry) => [entry.ownerId, entry]));
    const owners = [...new Set([...byOwner.keys(), ...usageByOwner.keys()])].sort();
    const rows = owners.map((ownerId) =>
      reportRow(
        ownerId,
        byOwner.get(ownerId) ?? emptyDailyStats(day),
        usageByOwner.get(ownerId) ?? { ownerId, modelVersions: [], storedBytes: 0 },
      ),
    );
    const everyone: OwnerDayUsage = {
      ownerId: '',
      modelVersions: addUp(usage.flatMap((entry) => entry.modelVersions)),
      storedBytes: usage.reduce((sum, entry) => sum + entry.storedBytes, 0),
    };
    rows.unshift(reportRow(null, global ?? emptyDailyStats(day), everyone));
    await this.reports.replaceDay(day, rows);
    this.logger.log(`Daily report of ${day}: ${owners.length} owner(s)`);
    return { day, owners: owners.length };
  }
}

function reportRow(
  ownerId: string | null,
  stats: DailyStats,
  usage: OwnerDayUsage,
): NewDailyReport {
  return {
    day: stats.day,
    ownerId,
    uploads: stats.uploads,
    processed: stats.processed,
    failedByCode: stats.failedByCode,
    latencyMs: latencyPercentiles(stats.latency),
    labels: stats.labels,
    quarantined: stats.quarantined,
    modelVersions: usage.modelVersions,
    storedBytes: usage.storedBytes,
  };
}

/** Every owner's uses of one model version, added up. */
function addUp(uses: ModelVersionUse[]): ModelVersionUse[] {
  const byVersion = new Map<string, ModelVersionUse>();
  for (const use of uses) {
    const key = `${use.model}\u0000${use.version}`;
    const sum = byVersion.get(key);
    byVersion.set(key, sum ? { ...sum, predictions: sum.predictions + use.predictions } : use);
  }
  return [...byVersion.values()].sort(
    (a, b) => a.model.localeCompare(b.model) || a.version - b.version,
  );
}
