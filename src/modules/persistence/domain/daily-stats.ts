import { LatencyHistogram } from './latency-histogram';

/** A UTC calendar day, `YYYY-MM-DD`. */
export type UtcDay = string;

/**
 * The realtime pipeline's counters for one owner (or every owner) and one UTC day. An image
 * counts on the day its upload was accepted, once, whatever the number of attempts: each
 * counter moves in the same transaction as the image's status.
 */
export interface DailyStats {
  day: UtcDay;
  /** Uploads accepted (counted when the pipeline first takes the image). */
  uploads: number;
  processed: number;
  /** Images now `failed`, by failure code. */
  failedByCode: Record<string, number>;
  /** Processed images by their top label, per model: model -> label -> count. */
  labels: Record<string, Record<string, number>>;
  quarantined: number;
  /** Upload accepted -> predictions stored, of processed images. */
  latency: LatencyHistogram;
}

export abstract class DailyStatsRepository {
  /**
   * The days from `from` to `to` (inclusive) that have any counter, oldest first: the owner's,
   * or every owner's added up when `ownerId` is null.
   */
  abstract findDays(ownerId: string | null, from: UtcDay, to: UtcDay): Promise<DailyStats[]>;

  /** Each owner's counters of one day, by owner id (owners with no counter that day absent). */
  abstract findDayByOwner(day: UtcDay): Promise<Map<string, DailyStats>>;

  /** Erases every counter of the owner; resolves with how many rows went. */
  abstract deleteForOwner(ownerId: string): Promise<number>;
}

/** The UTC day of an instant. */
export function utcDay(at: Date): UtcDay {
  return at.toISOString().slice(0, 10);
}

/** A day on which nothing was counted. */
export function emptyDailyStats(day: UtcDay): DailyStats {
  return {
    day,
    uploads: 0,
    processed: 0,
    failedByCode: {},
    labels: {},
    quarantined: 0,
    latency: new Map(),
  };
}
