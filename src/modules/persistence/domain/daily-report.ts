import { UtcDay } from './daily-stats';
import { LatencyPercentiles } from './latency-histogram';

/** The report of one UTC day for one owner, or for every owner (`ownerId` null). */
export interface DailyReportRecord {
  day: UtcDay;
  /** Null: the global row, every owner added up. */
  ownerId: string | null;
  uploads: number;
  processed: number;
  failedByCode: Record<string, number>;
  /** Upload accepted -> predictions stored, in ms; null when nothing was processed. */
  latencyMs: LatencyPercentiles;
  /** Model -> top label -> images. */
  labels: Record<string, Record<string, number>>;
  quarantined: number;
  /** Model versions whose predictions were stored that day. */
  modelVersions: ModelVersionUse[];
  /** Bytes of the originals accepted that day that are still stored. */
  storedBytes: number;
  generatedAt: Date;
}

export interface ModelVersionUse {
  model: string;
  version: number;
  predictions: number;
}

/** What the tables other than the realtime counters say about one owner's day. */
export interface OwnerDayUsage {
  ownerId: string;
  modelVersions: ModelVersionUse[];
  storedBytes: number;
}

export type NewDailyReport = Omit<DailyReportRecord, 'generatedAt'>;

export interface DailyReportQuery {
  from: UtcDay;
  to: UtcDay;
  /** Rows of this owner. */
  ownerId: string;
  /** Also the global rows. */
  includeGlobal: boolean;
}

export abstract class DailyReportRepository {
  /** Replaces every row of `day` with `rows`, in one transaction (a rebuild never doubles). */
  abstract replaceDay(day: UtcDay, rows: NewDailyReport[]): Promise<void>;

  /** Oldest day first; on one day the global row before the owner's. */
  abstract find(query: DailyReportQuery): Promise<DailyReportRecord[]>;

  /**
   * Per owner, for `day`: the model versions of the predictions stored that day, and the bytes
   * of the originals accepted that day that are still stored.
   */
  abstract usageOfDay(day: UtcDay): Promise<OwnerDayUsage[]>;

  /** Rows of days before `day`, at most `limit`: how many there are (dry run) or went. */
  abstract countBefore(day: UtcDay): Promise<number>;
  abstract deleteBefore(day: UtcDay, limit: number): Promise<number>;
}
