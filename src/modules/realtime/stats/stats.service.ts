import { Injectable } from '@nestjs/common';
import { daysBetween, defaultRange } from '../../../common/dates/day-range';
import {
  DailyStats,
  DailyStatsRepository,
  emptyDailyStats,
  latencyPercentiles,
  mergeLatencies,
} from '../../persistence';
import { DayStatsResource, StatsCountersResource, StatsResource } from './stats.resource';

/** The longest range one request may ask for. */
export const MAX_STATS_DAYS = 366;
export const STATS_DEFAULT_DAYS = 7;

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
    const { from, to } = defaultRange(request, STATS_DEFAULT_DAYS, now);
    const days = daysBetween(from, to, MAX_STATS_DAYS);
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
    latencyMs: latencyPercentiles(stats.latency),
  };
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
