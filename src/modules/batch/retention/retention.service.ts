import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../../config';
import { DailyReportRepository, ImageRecord, RetentionRepository, utcDay } from '../../persistence';
import { ObjectStorage } from '../../storage/object-storage';

/** Rows (and their objects) handled per step: bounded memory and transactions. */
export const RETENTION_CHUNK = 100;
const DAY_MS = 24 * 3600 * 1000;

/** What past-policy data was (or, in a dry run, would be) deleted, per kind. */
export interface RetentionResult {
  dryRun: boolean;
  originals: number;
  derivatives: number;
  predictions: number;
  reports: number;
}

export type RetentionKind = Exclude<keyof RetentionResult, 'dryRun'>;

/**
 * Deletes what is past the `RETENTION_*_DAYS` policies, in chunks: objects first, then the rows
 * that name them, so a crash between the two leaves rows whose objects a rerun deletes again
 * (deleting a missing object is no error). An image whose original went keeps its row,
 * predictions and derivative (while that one's policy allows); its content answers 410.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly retention: RetentionRepository,
    private readonly reports: DailyReportRepository,
    private readonly storage: ObjectStorage,
  ) {}

  async run(
    options: { dryRun: boolean },
    onChunk: (kind: RetentionKind, result: RetentionResult) => Promise<void> = async () => {},
    now = new Date(),
  ): Promise<RetentionResult> {
    const policy = this.config.retention;
    const result: RetentionResult = {
      dryRun: options.dryRun,
      originals: 0,
      derivatives: 0,
      predictions: 0,
      reports: 0,
    };
    const cutoff = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const step = async (
      kind: RetentionKind,
      days: number | undefined,
      chunk: (cutoff: Date) => Promise<number>,
      count: (cutoff: Date) => Promise<number>,
    ) => {
      if (days === undefined) return;
      if (options.dryRun) {
        result[kind] = await count(cutoff(days));
        return;
      }
      for (let done = await chunk(cutoff(days)); done > 0; done = await chunk(cutoff(days))) {
        result[kind] += done;
        await onChunk(kind, result);
      }
    };

    await step(
      'originals',
      policy.originalsDays,
      (before) => this.deleteOriginals(before, now),
      (before) => this.retention.countOriginalsBefore(before),
    );
    await step(
      'derivatives',
      policy.derivativesDays,
      (before) => this.deleteDerivatives(before),
      (before) => this.retention.countDerivativesBefore(before),
    );
    await step(
      'predictions',
      policy.predictionsDays,
      (before) => this.retention.deletePredictionsBefore(before, RETENTION_CHUNK),
      (before) => this.retention.countPredictionsBefore(before),
    );
    await step(
      'reports',
      policy.reportsDays,
      (before) => this.reports.deleteBefore(utcDay(before), RETENTION_CHUNK),
      (before) => this.reports.countBefore(utcDay(before)),
    );
    this.logger.log(
      `Retention${options.dryRun ? ' (dry run, nothing deleted)' : ''}: ` +
        `originals ${result.originals}, derivatives ${result.derivatives}, ` +
        `predictions ${result.predictions}, reports ${result.reports}`,
    );
    return result;
  }

  private async deleteOriginals(before: Date, now: Date): Promise<number> {
    const images = await this.retention.originalsBefore(before, RETENTION_CHUNK);
    await this.deleteObjects(images.map((image) => image.storageKey));
    await this.retention.markOriginalsDeleted(ids(images), now);
    return images.length;
  }

  private async deleteDerivatives(before: Date): Promise<number> {
    const images = await this.retention.derivativesBefore(before, RETENTION_CHUNK);
    await this.deleteObjects(images.flatMap((image) => image.derivativeKey ?? []));
    await this.retention.clearDerivatives(ids(images));
    return images.length;
  }

  private async deleteObjects(keys: string[]): Promise<void> {
    for (const key of keys) await this.storage.delete(key);
  }
}

function ids(images: ImageRecord[]): string[] {
  return images.map((image) => image.id);
}
