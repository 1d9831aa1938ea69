import { Injectable } from '@nestjs/common';
import type { ModelVersion as ModelVersionRow, Prisma } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import { RecordNotFoundError } from '../domain/errors';
import {
  Metrics,
  ModelKind,
  ModelRecord,
  ModelRepository,
  ModelVersionRecord,
  NewModel,
  NewModelVersion,
  Promotion,
} from '../domain/model';
import { isUuid } from './ids';
import { unlessDuplicate } from './prisma-errors';

const WITH_MODEL_NAME = { model: { select: { name: true } } } as const;

type VersionRow = ModelVersionRow & { model: { name: string } };

@Injectable()
export class PrismaModelRepository extends ModelRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  private get prisma() {
    return this.db.prisma;
  }

  createModel(model: NewModel): Promise<ModelRecord> {
    return unlessDuplicate('model', async () =>
      toModelRecord(await this.prisma.model.create({ data: model })),
    );
  }

  async findModel(name: string): Promise<ModelRecord | null> {
    const row = await this.prisma.model.findUnique({ where: { name } });
    return row && toModelRecord(row);
  }

  async listModels(): Promise<ModelRecord[]> {
    const rows = await this.prisma.model.findMany({ orderBy: { name: 'asc' } });
    return rows.map(toModelRecord);
  }

  async createVersion(modelName: string, version: NewModelVersion): Promise<ModelVersionRecord> {
    const row = await this.prisma.$transaction(async (tx) => {
      // The increment locks the model's row until commit: concurrent callers number in turn.
      const model = await tx.model
        .update({ where: { name: modelName }, data: { latestVersion: { increment: 1 } } })
        .catch(rethrowAbsent(modelName));
      return tx.modelVersion.create({
        data: {
          modelId: model.id,
          version: model.latestVersion,
          artifactKey: version.artifactKey,
          labels: version.labels,
          metrics: version.metrics as Prisma.InputJsonObject | undefined,
        },
        include: WITH_MODEL_NAME,
      });
    });
    return toVersionRecord(row);
  }

  async findVersion(modelName: string, version: number): Promise<ModelVersionRecord | null> {
    const row = await this.prisma.modelVersion.findFirst({
      where: { version, model: { name: modelName } },
      include: WITH_MODEL_NAME,
    });
    return row && toVersionRecord(row);
  }

  async findVersionById(id: string): Promise<ModelVersionRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.modelVersion.findUnique({
      where: { id },
      include: WITH_MODEL_NAME,
    });
    return row && toVersionRecord(row);
  }

  async findProduction(modelName: string): Promise<ModelVersionRecord | null> {
    const row = await this.prisma.modelVersion.findFirst({
      where: { status: 'production', model: { name: modelName } },
      include: WITH_MODEL_NAME,
    });
    return row && toVersionRecord(row);
  }

  async listProduction(): Promise<ModelVersionRecord[]> {
    const rows = await this.prisma.modelVersion.findMany({
      where: { status: 'production' },
      include: WITH_MODEL_NAME,
      orderBy: { model: { name: 'asc' } },
    });
    return rows.map(toVersionRecord);
  }

  async listVersions(modelName: string): Promise<ModelVersionRecord[]> {
    const rows = await this.prisma.modelVersion.findMany({
      where: { model: { name: modelName } },
      include: WITH_MODEL_NAME,
      orderBy: { version: 'desc' },
    });
    return rows.map(toVersionRecord);
  }

  async setMetrics(versionId: string, metrics: Metrics): Promise<ModelVersionRecord | null> {
    if (!isUuid(versionId)) return null;
    const [row] = await this.prisma.modelVersion.updateManyAndReturn({
      where: { id: versionId },
      data: { metrics: metrics as Prisma.InputJsonObject },
      include: WITH_MODEL_NAME,
    });
    return row ? toVersionRecord(row) : null;
  }

  async promote(modelName: string, version: number): Promise<Promotion> {
    return this.prisma.$transaction(async (tx) => {
      const now = new Date();
      // Locks the model's row: promotions of one model run one after another.
      const model = await tx.model
        .update({ where: { name: modelName }, data: { updatedAt: now } })
        .catch(rethrowAbsent(modelName));
      const target = await tx.modelVersion.findUnique({
        where: { modelId_version: { modelId: model.id, version } },
      });
      if (!target) throw new RecordNotFoundError('model version', `${modelName}@${version}`);
      if (target.status === 'production') {
        return { promoted: toVersionRecord({ ...target, model }), archived: null };
      }
      const [archived] = await tx.modelVersion.updateManyAndReturn({
        where: { modelId: model.id, status: 'production' },
        data: { status: 'archived', archivedAt: now },
        include: WITH_MODEL_NAME,
      });
      const promoted = await tx.modelVersion.update({
        where: { id: target.id },
        data: { status: 'production', promotedAt: now, archivedAt: null },
        include: WITH_MODEL_NAME,
      });
      return {
        promoted: toVersionRecord(promoted),
        archived: archived ? toVersionRecord(archived) : null,
      };
    });
  }
}

function rethrowAbsent(modelName: string) {
  return (error: unknown): never => {
    if ((error as { code?: string }).code === 'P2025') {
      throw new RecordNotFoundError('model', modelName);
    }
    throw error;
  };
}

function toModelRecord({
  latestVersion: _latest,
  ...row
}: Omit<ModelRecord, 'kind'> & { kind: string | null; latestVersion: number }): ModelRecord {
  return { ...row, kind: row.kind as ModelKind | null };
}

function toVersionRecord({ model, ...row }: VersionRow): ModelVersionRecord {
  return { ...row, modelName: model.name, metrics: row.metrics as Metrics | null };
}
