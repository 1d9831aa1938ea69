import { Injectable } from '@nestjs/common';
import type { Image as ImageRow, Prisma } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import { ImageRecord } from '../domain/image';
import {
  ImageProcessingRepository,
  ModelVersionPrediction,
  ProcessedImage,
  ProcessingResult,
} from '../domain/image-processing';
import { latencyBucket } from '../domain/latency-histogram';
import { utcDay } from '../domain/daily-stats';
import { CounterChange, changeCounters, STATS_METRIC } from './daily-counters';
import { isUuid } from './ids';
import { toImageRecord } from './prisma-image.repository';
import {
  PREDICTION_WITH_MODEL,
  predictionData,
  toPredictionRecord,
} from './prisma-prediction.repository';
import { embeddingData } from './prisma-embedding.repository';

type Tx = Prisma.TransactionClient;

@Injectable()
export class PrismaImageProcessingRepository extends ImageProcessingRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  async claim(imageId: string): Promise<ImageRecord | null> {
    if (!isUuid(imageId)) return null;
    return this.db.prisma.$transaction(async (tx) => {
      const [before] = await tx.$queryRaw<{ status: string; failure_code: string | null }[]>`
        SELECT status::text, failure_code FROM images WHERE id = ${imageId}::uuid FOR UPDATE`;
      if (!before || !['uploaded', 'processing', 'failed'].includes(before.status)) return null;
      const row = await tx.image.update({
        where: { id: imageId },
        data: { status: 'processing', failureCode: null, failureMessage: null },
      });
      const day = countingDay(row);
      if (before.status === 'uploaded') {
        await changeCounters(tx, row.ownerId, day, [{ metric: STATS_METRIC.uploads, count: 1 }]);
      } else if (before.status === 'failed') {
        await changeCounters(tx, row.ownerId, day, [
          { metric: STATS_METRIC.failed, dimension: before.failure_code ?? '', count: -1 },
        ]);
      }
      return toImageRecord(row);
    });
  }

  async complete(imageId: string, result: ProcessedImage): Promise<ProcessingResult | null> {
    if (!isUuid(imageId)) return null;
    return this.db.prisma.$transaction(async (tx) => {
      const now = new Date();
      const [row] = await tx.image.updateManyAndReturn({
        where: { id: imageId, status: 'processing' },
        data: {
          status: 'processed',
          processedAt: now,
          derivativeKey: result.derivativeKey,
          width: result.width,
          height: result.height,
          quarantined: result.quarantined,
        },
      });
      if (!row) return null;
      const predictions = await savePredictions(tx, imageId, result.predictions);
      const { model, vector } = result.embedding;
      await tx.embedding.upsert({
        where: { imageId_model: { imageId, model } },
        create: { imageId, model, ...embeddingData(vector) },
        update: embeddingData(vector),
      });
      const latencyMs = now.getTime() - acceptedAt(row).getTime();
      await changeCounters(tx, row.ownerId, countingDay(row), [
        { metric: STATS_METRIC.processed, count: 1 },
        ...(result.quarantined ? [{ metric: STATS_METRIC.quarantined, count: 1 }] : []),
        {
          metric: STATS_METRIC.latency,
          dimension: String(latencyBucket(latencyMs)),
          count: 1,
          sum: latencyMs,
        },
        ...labelCounts(result.predictions),
      ]);
      return { image: toImageRecord(row), predictions, latencyMs };
    });
  }

  async fail(imageId: string, code: string, message: string): Promise<ImageRecord | null> {
    if (!isUuid(imageId)) return null;
    return this.db.prisma.$transaction(async (tx) => {
      const [row] = await tx.image.updateManyAndReturn({
        where: { id: imageId, status: 'processing' },
        data: { status: 'failed', failureCode: code, failureMessage: message },
      });
      if (!row) return null;
      await changeCounters(tx, row.ownerId, countingDay(row), [
        { metric: STATS_METRIC.failed, dimension: code, count: 1 },
      ]);
      return toImageRecord(row);
    });
  }
}

/** Replaces any earlier prediction of the same versions (e.g. from a backfill). */
async function savePredictions(tx: Tx, imageId: string, predictions: ModelVersionPrediction[]) {
  const versionIds = predictions.map((prediction) => prediction.modelVersionId);
  await tx.prediction.deleteMany({ where: { imageId, modelVersionId: { in: versionIds } } });
  const saved = [];
  for (const prediction of predictions) {
    const row = await tx.prediction.create({
      data: { imageId, modelVersionId: prediction.modelVersionId, ...predictionData(prediction) },
      include: PREDICTION_WITH_MODEL,
    });
    saved.push(toPredictionRecord(row));
  }
  return saved;
}

function labelCounts(predictions: ModelVersionPrediction[]): CounterChange[] {
  return predictions.map(({ modelName, scores }) => {
    const top = scores.reduce((best, score) => (score.score > best.score ? score : best));
    return {
      metric: STATS_METRIC.label,
      dimension: JSON.stringify([modelName, top.label]),
      count: 1,
    };
  });
}

/** When the upload was accepted (direct uploads are created `uploaded`, stamped the same). */
function acceptedAt(row: ImageRow): Date {
  return row.uploadedAt ?? row.createdAt;
}

/** An image counts on the UTC day its upload was accepted. */
function countingDay(row: ImageRow): string {
  return utcDay(acceptedAt(row));
}
