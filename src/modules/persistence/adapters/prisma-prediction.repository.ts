import { Injectable } from '@nestjs/common';
import type { Prediction as PredictionRow } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import {
  LabelScore,
  NewPrediction,
  PredictionRecord,
  PredictionRepository,
} from '../domain/prediction';
import { isUuid } from './ids';

export const PREDICTION_WITH_MODEL = {
  modelVersion: { select: { version: true, model: { select: { name: true } } } },
} as const;

type PredictionRowWithModel = PredictionRow & {
  modelVersion: { version: number; model: { name: string } };
};

@Injectable()
export class PrismaPredictionRepository extends PredictionRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  async saveForImage(imageId: string, predictions: NewPrediction[]): Promise<PredictionRecord[]> {
    const rows = await this.db.prisma.$transaction(
      predictions.map((prediction) => {
        const data = predictionData(prediction);
        return this.db.prisma.prediction.upsert({
          where: {
            imageId_modelVersionId: { imageId, modelVersionId: prediction.modelVersionId },
          },
          create: { imageId, modelVersionId: prediction.modelVersionId, ...data },
          update: data,
          include: PREDICTION_WITH_MODEL,
        });
      }),
    );
    return rows.map(toPredictionRecord);
  }

  async listForImage(imageId: string): Promise<PredictionRecord[]> {
    if (!isUuid(imageId)) return [];
    const rows = await this.db.prisma.prediction.findMany({
      where: { imageId },
      include: PREDICTION_WITH_MODEL,
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toPredictionRecord);
  }
}

/** A prediction's stored columns: scores highest first, the top one apart. */
export function predictionData(prediction: NewPrediction) {
  const scores = [...prediction.scores].sort((a, b) => b.score - a.score);
  if (!scores[0]) throw new Error('A prediction needs at least one label score');
  return {
    scores: scores.map(({ label, score }) => ({ label, score })),
    topLabel: scores[0].label,
    topScore: scores[0].score,
    latencyMs: prediction.latencyMs,
    createdAt: new Date(),
  };
}

export function toPredictionRecord({
  modelVersion,
  ...row
}: PredictionRowWithModel): PredictionRecord {
  return {
    ...row,
    scores: row.scores as unknown as LabelScore[],
    modelName: modelVersion.model.name,
    modelVersion: modelVersion.version,
  };
}
