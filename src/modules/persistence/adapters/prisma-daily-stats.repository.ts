import { Injectable } from '@nestjs/common';
import { Prisma } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import { DailyStats, DailyStatsRepository, emptyDailyStats, UtcDay } from '../domain/daily-stats';
import { isUuid } from './ids';
import { STATS_METRIC } from './daily-counters';

interface CounterSum {
  day: UtcDay;
  /** Only when counters are read per owner. */
  owner_id?: string;
  metric: string;
  dimension: string;
  /** Text: a bigint sum, exact whatever the driver does with numerics. */
  count: string;
}

@Injectable()
export class PrismaDailyStatsRepository extends DailyStatsRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  async findDays(ownerId: string | null, from: UtcDay, to: UtcDay): Promise<DailyStats[]> {
    if (ownerId !== null && !isUuid(ownerId)) return [];
    const metrics = Object.values(STATS_METRIC);
    const sums = await this.db.prisma.$queryRaw<CounterSum[]>`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, metric, dimension, SUM(count)::text AS count
      FROM daily_aggregates
      WHERE day BETWEEN ${from}::date AND ${to}::date
        AND metric IN (${Prisma.join(metrics)})
        ${ownerId === null ? Prisma.empty : Prisma.sql`AND owner_id = ${ownerId}::uuid`}
      GROUP BY day, metric, dimension
      ORDER BY day`;
    return [...collect(sums, (sum) => sum.day).values()];
  }

  async findDayByOwner(day: UtcDay): Promise<Map<string, DailyStats>> {
    const sums = await this.db.prisma.$queryRaw<CounterSum[]>`
      SELECT ${day} AS day, owner_id::text AS owner_id, metric, dimension, count::text AS count
      FROM daily_aggregates
      WHERE day = ${day}::date AND metric IN (${Prisma.join(Object.values(STATS_METRIC))})`;
    return collect(sums, (sum) => sum.owner_id ?? '');
  }

  async deleteForOwner(ownerId: string): Promise<number> {
    if (!isUuid(ownerId)) return 0;
    const { count } = await this.db.prisma.dailyAggregate.deleteMany({ where: { ownerId } });
    return count;
  }
}

/** Adds the counter sums up into one `DailyStats` per key. */
function collect(sums: CounterSum[], keyOf: (sum: CounterSum) => string): Map<string, DailyStats> {
  const stats = new Map<string, DailyStats>();
  for (const sum of sums) {
    const key = keyOf(sum);
    let entry = stats.get(key);
    if (!entry) stats.set(key, (entry = emptyDailyStats(sum.day)));
    addCounter(entry, sum.metric, sum.dimension, Number(sum.count));
  }
  return stats;
}

function addCounter(stats: DailyStats, metric: string, dimension: string, count: number): void {
  switch (metric) {
    case STATS_METRIC.uploads:
      stats.uploads += count;
      break;
    case STATS_METRIC.processed:
      stats.processed += count;
      break;
    case STATS_METRIC.quarantined:
      stats.quarantined += count;
      break;
    case STATS_METRIC.failed:
      // An image retried after failing takes its count back: skip codes at zero.
      if (count !== 0) stats.failedByCode[dimension] = count;
      break;
    case STATS_METRIC.label: {
      const [model, label] = JSON.parse(dimension) as [string, string];
      stats.labels[model] = { ...stats.labels[model], [label]: count };
      break;
    }
    case STATS_METRIC.latency:
      stats.latency.set(Number(dimension), count);
      break;
  }
}
