import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { GroupCommit } from '../../../common/batching/group-commit';
import type { Image as ImageRow, Prisma } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import { DuplicateRecordError } from '../domain/errors';
import {
  CompletedUpload,
  CompletionClaim,
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
import { nullIfAbsent, unlessDuplicate, unlessReferenceGone } from './prisma-errors';

const MAX_PAGE_SIZE = 500;
/** A duplicate's winner can vanish between our two steps (deleted); then we look again. */
const COMPLETE_ATTEMPTS = 3;
const NO_CLAIM = { completionToken: null, completionExpiresAt: null };
/**
 * New images of concurrent uploads are inserted together: one statement at a time, carrying
 * every row that arrived while the previous one ran (see `GroupCommit`).
 */
const INSERT_BATCHES = { maxInFlight: 1, maxBatch: 100 };

type NewImageRow = Prisma.ImageCreateManyInput & { id: string };

@Injectable()
export class PrismaImageRepository extends ImageRepository {
  private readonly inserts = new GroupCommit<NewImageRow, ImageRow | null>(
    (rows) => this.insertUnlessConflicting(rows),
    INSERT_BATCHES,
  );

  constructor(private readonly db: DatabaseClient) {
    super();
  }

  private get images() {
    return this.db.prisma.image;
  }

  async create(image: NewImage): Promise<ImageRecord> {
    const row = await unlessDuplicate('image', () =>
      this.images.create({ data: toImageCreate(image) }),
    );
    return toImageRecord(row);
  }

  async createUnlessDuplicate(image: NewImage & { sha256: string }): Promise<CompletedUpload> {
    const ownerId_sha256 = { ownerId: image.ownerId, sha256: image.sha256 };
    const row = { ...toImageCreate(image), id: image.id ?? randomUUID() };
    for (let attempt = 1; ; attempt++) {
      // The upload hot path: an `INSERT ... ON CONFLICT DO NOTHING RETURNING` (shared with
      // concurrent uploads) instead of a look-up before the insert; the look-up runs only
      // for a duplicate.
      const created = await this.inserts.submit(row);
      if (created) return { image: toImageRecord(created), duplicate: false };
      const existing = await this.images.findUnique({ where: { ownerId_sha256 } });
      // Our own row: a batch whose statement failed after it had committed is retried row by
      // row, and a caller told "duplicate" would delete the bytes its row names.
      if (existing?.id === row.id) return { image: toImageRecord(existing), duplicate: false };
      if (existing) return { image: toImageRecord(existing), duplicate: true };
      // The conflicting image was deleted meanwhile: try again. An id or key another row holds
      // conflicts every time, and ends as a DuplicateRecordError.
      if (attempt === COMPLETE_ATTEMPTS) throw new DuplicateRecordError('image', []);
    }
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

  async findExistingIds(ids: string[]): Promise<Set<string>> {
    const found = await this.images.findMany({
      where: { id: { in: ids.filter(isUuid) } },
      select: { id: true },
    });
    return new Set(found.map((row) => row.id));
  }

  async findByStorageKey(storageKey: string): Promise<ImageRecord | null> {
    return toImageRecordOrNull(await this.images.findUnique({ where: { storageKey } }));
  }

  async claimCompletion(
    id: string,
    ownerId: string,
    leaseMs: number,
  ): Promise<CompletionClaim | null> {
    if (!isUuid(id) || !isUuid(ownerId)) return null;
    const now = new Date();
    const token = randomUUID();
    // One conditional UPDATE: of concurrent claimers, exactly one finds the claim free.
    const [row] = await this.images.updateManyAndReturn({
      where: {
        id,
        ownerId,
        status: 'pending',
        OR: [{ completionExpiresAt: null }, { completionExpiresAt: { lte: now } }],
      },
      data: { completionToken: token, completionExpiresAt: new Date(now.getTime() + leaseMs) },
    });
    return row ? { image: toImageRecord(row), token } : null;
  }

  async releaseCompletion(id: string, token: string): Promise<void> {
    await this.images.updateMany({ where: { id, completionToken: token }, data: NO_CLAIM });
  }

  async completeUpload(
    id: string,
    token: string,
    result: { sha256: string; storageKey: string },
  ): Promise<CompletedUpload | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.completeClaimed(id, token, result);
      } catch (error) {
        if (!(error instanceof DuplicateRecordError)) throw error;
        const duplicate = await this.recordDuplicate(id, token, result.sha256);
        if (duplicate !== undefined || attempt === COMPLETE_ATTEMPTS) return duplicate ?? null;
      }
    }
  }

  async abandonUpload(id: string, token: string): Promise<boolean> {
    const { count } = await this.images.deleteMany({
      where: { id, status: 'pending', completionToken: token },
    });
    return count > 0;
  }

  async findDuplicateUpload(id: string, ownerId: string): Promise<ImageRecord | null> {
    if (!isUuid(id) || !isUuid(ownerId)) return null;
    const found = await this.db.prisma.duplicateUpload.findFirst({
      where: { id, ownerId },
      include: { image: true },
    });
    return toImageRecordOrNull(found?.image);
  }

  async deleteDuplicateUploads(createdBefore: Date): Promise<number> {
    const { count } = await this.db.prisma.duplicateUpload.deleteMany({
      where: { createdAt: { lt: createdBefore } },
    });
    return count;
  }

  async findStale(status: ImageStatus, updatedBefore: Date, limit: number): Promise<ImageRecord[]> {
    const rows = await this.images.findMany({
      where: { status, updatedAt: { lt: updatedBefore } },
      orderBy: { updatedAt: 'asc' },
      take: limit,
    });
    return rows.map(toImageRecord);
  }

  /**
   * Inserts the rows in one statement; a row that conflicts with an existing one (or with an
   * earlier row of the batch) is skipped: null. A statement that fails (one row's bad value
   * fails them all) is retried row by row, so each caller gets its own row's error.
   */
  private async insertUnlessConflicting(
    rows: NewImageRow[],
  ): Promise<PromiseSettledResult<ImageRow | null>[]> {
    const insert = async (data: NewImageRow[]) => {
      const inserted = await this.images.createManyAndReturn({ data, skipDuplicates: true });
      const byId = new Map(inserted.map((row) => [row.id, row]));
      return data.map((row) => byId.get(row.id) ?? null);
    };
    if (rows.length === 1) return Promise.allSettled([insert(rows).then(([row]) => row)]);
    try {
      return (await insert(rows)).map((value) => ({ status: 'fulfilled' as const, value }));
    } catch {
      return Promise.allSettled(rows.map((row) => insert([row]).then(([one]) => one)));
    }
  }

  /** Throws `DuplicateRecordError` when the owner has another image with this sha256. */
  private async completeClaimed(
    id: string,
    token: string,
    { sha256, storageKey }: { sha256: string; storageKey: string },
  ): Promise<CompletedUpload | null> {
    const [row] = await unlessDuplicate('image', () =>
      this.images.updateManyAndReturn({
        where: { id, status: 'pending', completionToken: token },
        data: { ...statusChange('uploaded', new Date()), ...NO_CLAIM, sha256, storageKey },
      }),
    );
    return row ? { image: toImageRecord(row), duplicate: false } : null;
  }

  /**
   * In one transaction: the claimed upload's row goes, and a record of the image it
   * duplicates takes its place. Null when the claim was lost; undefined when that image is
   * gone too (removed meanwhile), so the caller tries to complete the upload again.
   */
  private recordDuplicate(
    id: string,
    token: string,
    sha256: string,
  ): Promise<CompletedUpload | null | undefined> {
    return unlessReferenceGone(() =>
      this.db.prisma.$transaction(async (tx) => {
        const pending = await tx.image.findFirst({
          where: { id, status: 'pending', completionToken: token },
        });
        if (!pending) return null;
        const existing = await tx.image.findUnique({
          where: { ownerId_sha256: { ownerId: pending.ownerId, sha256 } },
        });
        if (!existing) return undefined;
        await tx.image.delete({ where: { id } });
        await tx.duplicateUpload.create({
          data: { id, ownerId: pending.ownerId, imageId: existing.id },
        });
        return { image: toImageRecord(existing), duplicate: true };
      }),
    );
  }
}

function toImageCreate(image: NewImage): Prisma.ImageCreateManyInput {
  return {
    ...image,
    ...(image.status ? statusStamps(image.status, new Date()) : {}),
    ...(image.label !== undefined && { labeledAt: new Date() }),
    sizeBytes: toBigInt(image.sizeBytes),
    metadata: image.metadata as Prisma.InputJsonObject | undefined,
  };
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

export function toImageRecord({
  completionToken: _token,
  completionExpiresAt: _expiresAt,
  ...row
}: ImageRow): ImageRecord {
  return {
    ...row,
    sizeBytes: row.sizeBytes === null ? null : Number(row.sizeBytes),
    metadata: row.metadata as ImageMetadata | null,
  };
}
