import { Injectable } from '@nestjs/common';
import type { Prisma, TrainingRun as TrainingRunRow } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import { RecordNotFoundError } from '../domain/errors';
import type { Metrics } from '../domain/model';
import {
  TrainingRunOutcome,
  TrainingRunRecord,
  TrainingRunRepository,
} from '../domain/training-run';
import { isUuid } from './ids';

const WITH_MODEL_NAME = { model: { select: { name: true } } } as const;

type RunRow = TrainingRunRow & { model: { name: string } };

@Injectable()
export class PrismaTrainingRunRepository extends TrainingRunRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  private get runs() {
    return this.db.prisma.trainingRun;
  }

  async start(id: string, modelName: string, params: Metrics): Promise<TrainingRunRecord> {
    const model = await this.db.prisma.model.findUnique({ where: { name: modelName } });
    if (!model) throw new RecordNotFoundError('model', modelName);
    const started = { status: 'running' as const, startedAt: new Date(), finishedAt: null };
    const row = await this.runs.upsert({
      where: { id },
      create: { id, modelId: model.id, params: params as Prisma.InputJsonObject, ...started },
      update: { ...started, error: null },
      include: WITH_MODEL_NAME,
    });
    return toRecord(row);
  }

  async finish(id: string, outcome: TrainingRunOutcome): Promise<TrainingRunRecord> {
    const row = await this.runs.update({
      where: { id },
      data: {
        status: outcome.status,
        metrics: outcome.metrics as Prisma.InputJsonObject | undefined,
        sampleCount: outcome.sampleCount,
        resultVersionId: outcome.resultVersionId,
        error: outcome.error,
        finishedAt: new Date(),
      },
      include: WITH_MODEL_NAME,
    });
    return toRecord(row);
  }

  async find(id: string): Promise<TrainingRunRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.runs.findUnique({ where: { id }, include: WITH_MODEL_NAME });
    return row && toRecord(row);
  }

  async listForModel(modelName: string, limit: number): Promise<TrainingRunRecord[]> {
    const rows = await this.runs.findMany({
      where: { model: { name: modelName } },
      include: WITH_MODEL_NAME,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
    return rows.map(toRecord);
  }
}

function toRecord({ model, ...row }: RunRow): TrainingRunRecord {
  return {
    ...row,
    modelName: model.name,
    params: row.params as Metrics | null,
    metrics: row.metrics as Metrics | null,
  };
}
