import { HttpStatus, Injectable } from '@nestjs/common';
import { AppError } from '../../../common/app-error';
import {
  DailyStats,
  DailyStatsRepository,
  emptyDailyStats,
  LatencyHistogram,
  latencyQuantile,
  mergeLatencies,
  UtcDay,
  utcDay,
} from '../../persistence';
import { DayStatsResource, StatsCountersResource, StatsResource } from './stats.resource';

/** The longest range one request may ask for. */
export const MAX_STATS_DAYS = 366;
const DEFAULT_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;

export interface StatsRequest {
  /** Null: every owner. */
  ownerId: string | null;
  from?: string;
  to?: string;
}

/** The realtime pipeline's daily counters, read for a range of UTC days. */
@Injectable()
export class StatsService {
  constructor(private readonly stats: DailyStatsRepository) {}

  async read(request: StatsRequest, now = new Date()): Promise<StatsResource> {
    const to = request.to ?? utcDay(now);
    const from = request.from ?? utcDay(new Date(dayStart(to) - (DEFAULT_DAYS - 1) * DAY_MS));
    const days = daysBetween(from, to);
    const found = new Map(
      (await this.stats.findDays(request.ownerId, from, to)).map((stats) => [stats.day, stats]),
    );
    const series = days.map((day) => found.get(day) ?? emptyDailyStats(day));
    return {
      from,
      to,
      scope: request.ownerId === null ? 'all' : 'owner',
      days: series.map(toDayResource),
      total: toCounters(series.reduce(addDays, emptyDailyStats(to))),
    };
  }
}

function toDayResource(stats: DailyStats): DayStatsResource {
  return { day: stats.day, ...toCounters(stats) };
}

function toCounters(stats: DailyStats): StatsCountersResource {
  return {
    uploads: stats.uploads,
    processed: stats.processed,
    failed: {
      total: Object.values(stats.failedByCode).reduce((sum, n) => sum + n, 0),
      byCode: stats.failedByCode,
    },
    labels: stats.labels,
    quarantined: stats.quarantined,
    latencyMs: percentiles(stats.latency),
  };
}

function percentiles(latency: LatencyHistogram) {
  const read = (q: number) => {
    const ms = latencyQuantile(latency, q);
    return ms === null ? null : Math.round(ms * 10) / 10;
  };
  return { p50: read(0.5), p95: read(0.95), p99: read(0.99) };
}

function addDays(sum: DailyStats, day: DailyStats): DailyStats {
  const failedByCode = { ...sum.failedByCode };
  for (const [code, n] of Object.entries(day.failedByCode)) {
    failedByCode[code] = (failedByCode[code] ?? 0) + n;
  }
  const labels = structuredClone(sum.labels);
  for (const [model, counts] of Object.entries(day.labels)) {
    labels[model] ??= {};
    for (const [label, n] of Object.entries(counts)) {
      labels[model][label] = (labels[model][label] ?? 0) + n;
    }
  }
  const latency = new Map(sum.latency);
  mergeLatencies(latency, day.latency);
  return {
    day: sum.day,
    uploads: sum.uploads + day.uploads,
    processed: sum.processed + day.processed,
    failedByCode,
    labels,
    quarantined: sum.quarantined + day.quarantined,
    latency,
  };
}

function daysBetween(from: UtcDay, to: UtcDay): UtcDay[] {
  const start = dayStart(from);
  const end = dayStart(to);
  if (
    Number.isNaN(start) ||
    Number.isNaN(end) ||
    utcDay(new Date(start)) !== from ||
    utcDay(new Date(end)) !== to
  ) {
    throw invalidRange('from and to must be real calendar days, YYYY-MM-DD');
  }
  if (start > end) throw invalidRange('from must not be after to');
  const count = (end - start) / DAY_MS + 1;
  if (count > MAX_STATS_DAYS) throw invalidRange(`At most ${MAX_STATS_DAYS} days per request`);
  return Array.from({ length: count }, (_, i) => utcDay(new Date(start + i * DAY_MS)));
}

function dayStart(day: UtcDay): number {
  return Date.parse(`${day}T00:00:00Z`);
}

function invalidRange(message: string): AppError {
  return new AppError(HttpStatus.BAD_REQUEST, 'invalid_range', message);
}
