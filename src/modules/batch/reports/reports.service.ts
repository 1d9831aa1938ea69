import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import * as echarts from 'echarts';
import { daysBetween, defaultRange } from '../../../common/dates/day-range';
import { DailyReportRecord, DailyReportRepository } from '../../persistence';
import { ReportRowResource, ReportsResource } from './report.resource';

/** The longest range one request may ask for. */
const MAX_REPORT_DAYS = 366;
export const REPORTS_DEFAULT_DAYS = 30;

export interface ReportsRequest {
  ownerId: string;
  /** Admins see the global rows too. */
  includeGlobal: boolean;
  from?: string;
  to?: string;
}

const CSV_COLUMNS = [
  'day',
  'scope',
  'ownerId',
  'uploads',
  'processed',
  'failed',
  'failedByCode',
  'latencyP50Ms',
  'latencyP95Ms',
  'latencyP99Ms',
  'quarantined',
  'storedBytes',
  'labels',
  'modelVersions',
  'generatedAt',
];

/** Reads the daily reports (`daily-report` writes them) as JSON, CSV or an SVG chart. */
@Injectable()
export class ReportsService {
  constructor(private readonly reports: DailyReportRepository) {}

  async read(request: ReportsRequest, now = new Date()): Promise<ReportsResource> {
    const { from, to } = defaultRange(request, REPORTS_DEFAULT_DAYS, now);
    daysBetween(from, to, MAX_REPORT_DAYS);
    const rows = await this.reports.find({
      from,
      to,
      ownerId: request.ownerId,
      includeGlobal: request.includeGlobal,
    });
    return { from, to, rows: rows.map(toRowResource) };
  }

  /** One CSV line per row, after a header line. */
  async csv(request: ReportsRequest): Promise<string> {
    const { rows } = await this.read(request);
    return stringify(
      rows.map((row) => [
        row.day,
        row.scope,
        row.ownerId ?? '',
        row.uploads,
        row.processed,
        row.failed.total,
        JSON.stringify(row.failed.byCode),
        row.latencyMs.p50 ?? '',
        row.latencyMs.p95 ?? '',
        row.latencyMs.p99 ?? '',
        row.quarantined,
        row.storedBytes,
        JSON.stringify(row.labels),
        JSON.stringify(row.modelVersions),
        row.generatedAt.toISOString(),
      ]),
      { header: true, columns: CSV_COLUMNS },
    );
  }

  /**
   * Uploads per day (bars) and p95 latency (line), rendered to SVG on the server by ECharts'
   * SSR renderer: the admin's global rows, an owner's own.
   */
  async chart(request: ReportsRequest): Promise<string> {
    const { from, to, rows } = await this.read(request);
    const scope = request.includeGlobal ? 'global' : 'owner';
    const byDay = new Map(rows.filter((row) => row.scope === scope).map((row) => [row.day, row]));
    const days = daysBetween(from, to, MAX_REPORT_DAYS);
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 420 });
    try {
      chart.setOption({
        animation: false,
        title: { text: `Daily volume and p95 latency, ${from} to ${to}`, left: 'center' },
        legend: { top: 28, data: ['uploads', 'processed', 'p95 latency (ms)'] },
        grid: { top: 70, bottom: 50, left: 60, right: 70 },
        xAxis: { type: 'category', data: days },
        yAxis: [
          { type: 'value', name: 'images', minInterval: 1 },
          { type: 'value', name: 'ms', position: 'right' },
        ],
        series: [
          { name: 'uploads', type: 'bar', data: days.map((d) => byDay.get(d)?.uploads ?? 0) },
          { name: 'processed', type: 'bar', data: days.map((d) => byDay.get(d)?.processed ?? 0) },
          {
            name: 'p95 latency (ms)',
            type: 'line',
            yAxisIndex: 1,
            connectNulls: false,
            data: days.map((d) => byDay.get(d)?.latencyMs.p95 ?? null),
          },
        ],
      });
      return chart.renderToSVGString();
    } finally {
      chart.dispose();
    }
  }
}

function toRowResource(row: DailyReportRecord): ReportRowResource {
  return {
    day: row.day,
    scope: row.ownerId === null ? 'global' : 'owner',
    ownerId: row.ownerId,
    uploads: row.uploads,
    processed: row.processed,
    failed: {
      total: Object.values(row.failedByCode).reduce((sum, n) => sum + n, 0),
      byCode: row.failedByCode,
    },
    latencyMs: row.latencyMs,
    labels: row.labels,
    quarantined: row.quarantined,
    modelVersions: row.modelVersions,
    storedBytes: row.storedBytes,
    generatedAt: row.generatedAt,
  };
}
