import { Injectable } from '@nestjs/common';
import type { Image as ImageRow, Prisma } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import {
  ImageMetadata,
  ImagePatch,
  ImageQuery,
  ImageRecord,
  ImageRepository,
  ImageStatus,
  NewImage,
} from '../domain/image';
import { Page } from '../domain/page';
import { decodeCursor, encodeCursor } from './cursor';
import { isUuid } from './ids';
import { nullIfAbsent, unlessDuplicate } from './prisma-errors';

const MAX_PAGE_SIZE = 500;

@Injectable()
export class PrismaImageRepository extends ImageRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  private get images() {
    return this.db.prisma.image;
  }

  async create(image: NewImage): Promise<ImageRecord> {
    const row = await unlessDuplicate('image', () =>
      this.images.create({
        data: {
          ...image,
          ...(image.status ? statusStamps(image.status, new Date()) : {}),
          ...(image.label !== undefined && { labeledAt: new Date() }),
          sizeBytes: toBigInt(image.sizeBytes),
          metadata: image.metadata as Prisma.InputJsonObject | undefined,
        },
      }),
    );
    return toImageRecord(row);
  }

  async findById(id: string): Promise<ImageRecord | null> {
    if (!isUuid(id)) return null;
    return toImageRecordOrNull(await this.images.findUnique({ where: { id } }));
  }

  async findByIdForOwner(id: string, ownerId: string): Promise<ImageRecord | null> {
    if (!isUuid(id) || !isUuid(ownerId)) return null;
    return toImageRecordOrNull(await this.images.findFirst({ where: { id, ownerId } }));
  }

  async findForOwner(ownerId: string, query: ImageQuery): Promise<Page<ImageRecord>> {
    const limit = Math.min(Math.max(Math.trunc(query.limit), 1), MAX_PAGE_SIZE);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (!isUuid(ownerId)) return { items: [], nextCursor: null };
    const rows = await this.images.findMany({
      where: {
        ownerId,
        status: query.status === undefined ? undefined : { in: toList(query.status) },
        label: query.label,
        createdAt: { gte: query.createdFrom, lt: query.createdTo },
        predictions: query.predictedLabel
          ? {
              some: {
                topLabel: query.predictedLabel,
                topScore: { gte: query.predictedMinScore },
              },
            }
          : undefined,
        OR: after && [
          { createdAt: { lt: after.createdAt } },
          { createdAt: after.createdAt, id: { lt: after.id } },
        ],
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const items = rows.slice(0, limit).map(toImageRecord);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async findBySha256ForOwner(ownerId: string, sha256: string): Promise<ImageRecord | null> {
    if (!isUuid(ownerId)) return null;
    const row = await this.images.findUnique({ where: { ownerId_sha256: { ownerId, sha256 } } });
    return toImageRecordOrNull(row);
  }

  async transitionStatus(
    id: string,
    from: ImageStatus | readonly ImageStatus[],
    to: ImageStatus,
    patch: ImagePatch = {},
  ): Promise<ImageRecord | null> {
    if (!isUuid(id)) return null;
    // One UPDATE ... WHERE status IN (...) RETURNING: a concurrent writer re-checks the
    // condition after the first commits, so exactly one of them moves the image.
    const [row] = await unlessDuplicate('image', () =>
      this.images.updateManyAndReturn({
        where: { id, status: { in: toList(from) } },
        data: { ...statusChange(to, new Date()), ...toImageData(patch) },
      }),
    );
    return toImageRecordOrNull(row);
  }

  async update(id: string, patch: ImagePatch, ownerId?: string): Promise<ImageRecord | null> {
    if (!isUuid(id) || (ownerId !== undefined && !isUuid(ownerId))) return null;
    const [row] = await unlessDuplicate('image', () =>
      this.images.updateManyAndReturn({ where: { id, ownerId }, data: toImageData(patch) }),
    );
    return toImageRecordOrNull(row);
  }

  async delete(id: string, ownerId?: string): Promise<ImageRecord | null> {
    if (!isUuid(id) || (ownerId !== undefined && !isUuid(ownerId))) return null;
    return toImageRecordOrNull(
      await nullIfAbsent(() => this.images.delete({ where: { id, ownerId } })),
    );
  }

  async isQuarantinedObject(key: string): Promise<boolean> {
    const found = await this.images.findFirst({
      where: { quarantined: true, OR: [{ storageKey: key }, { derivativeKey: key }] },
      select: { id: true },
    });
    return found !== null;
  }

  async findStale(status: ImageStatus, updatedBefore: Date, limit: number): Promise<ImageRecord[]> {
    const rows = await this.images.findMany({
      where: { status, updatedAt: { lt: updatedBefore } },
      orderBy: { updatedAt: 'asc' },
      take: limit,
    });
    return rows.map(toImageRecord);
  }
}

function statusChange(to: ImageStatus, now: Date): Prisma.ImageUpdateManyMutationInput {
  return {
    status: to,
    ...(to === 'failed' ? {} : { failureCode: null, failureMessage: null }),
    ...statusStamps(to, now),
  };
}

/** When an image entered the states whose time is kept. */
function statusStamps(status: ImageStatus, now: Date): { uploadedAt?: Date; processedAt?: Date } {
  if (status === 'uploaded') return { uploadedAt: now };
  if (status === 'processed') return { processedAt: now };
  return {};
}

function toImageData(patch: ImagePatch): Prisma.ImageUpdateManyMutationInput {
  const { sizeBytes, ...rest } = patch;
  return sizeBytes === undefined ? rest : { ...rest, sizeBytes: toBigInt(sizeBytes) };
}

function toList<T>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

function toBigInt(value: number | null | undefined): bigint | null | undefined {
  return value === null || value === undefined ? value : BigInt(value);
}

function toImageRecordOrNull(row: ImageRow | null | undefined): ImageRecord | null {
  return row ? toImageRecord(row) : null;
}

export function toImageRecord(row: ImageRow): ImageRecord {
  return {
    ...row,
    sizeBytes: row.sizeBytes === null ? null : Number(row.sizeBytes),
    metadata: row.metadata as ImageMetadata | null,
  };
}
