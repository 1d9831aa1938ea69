import { Prisma } from '../../../generated/prisma/client';
import { UtcDay } from '../domain/daily-stats';

/** The `daily_aggregates` metrics the realtime pipeline keeps. */
export const STATS_METRIC = {
  uploads: 'uploads',
  processed: 'processed',
  /** Dimension: the failure code. */
  failed: 'failed',
  /** Dimension: JSON `[model, label]`. */
  label: 'label',
  quarantined: 'quarantined',
  /** Dimension: the bucket's upper bound in ms; `sum` adds the latencies. */
  latency: 'latency_ms',
} as const;

export interface CounterChange {
  metric: string;
  dimension?: string;
  count: number;
  sum?: number;
}

/**
 * Adds to an owner's counters of one day in one statement. Rows are touched in key order so
 * that concurrent transactions lock them in the same order (no deadlock).
 */
export async function changeCounters(
  tx: Prisma.TransactionClient,
  ownerId: string,
  day: UtcDay,
  changes: CounterChange[],
): Promise<void> {
  if (changes.length === 0) return;
  const rows = changes
    .map((change) => ({ ...change, dimension: change.dimension ?? '' }))
    .sort((a, b) => a.metric.localeCompare(b.metric) || a.dimension.localeCompare(b.dimension))
    .map(
      ({ metric, dimension, count, sum = 0 }) =>
        Prisma.sql`(${day}::date, ${ownerId}::uuid, ${metric}, ${dimension}, ${count}, ${sum}, now())`,
    );
  await tx.$executeRaw`
    INSERT INTO daily_aggregates (day, owner_id, metric, dimension, count, sum, updated_at)
    VALUES ${Prisma.join(rows)}
    ON CONFLICT (day, owner_id, metric, dimension) DO UPDATE SET
      count = daily_aggregates.count + EXCLUDED.count,
      sum = daily_aggregates.sum + EXCLUDED.sum,
      updated_at = now()`;
}
