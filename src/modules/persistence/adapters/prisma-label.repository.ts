import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import type { ImageRecord } from '../domain/image';
import { LabelAssignment, LabelledExample, LabelRepository, LabelSummary } from '../domain/label';
import { isUuid } from './ids';
import { vectorOf } from './prisma-embedding.repository';
import { toImageRecord } from './prisma-image.repository';

@Injectable()
export class PrismaLabelRepository extends LabelRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  async setLabel(
    imageId: string,
    label: string | null,
    ownerId?: string,
  ): Promise<ImageRecord | null> {
    if (!isUuid(imageId) || (ownerId !== undefined && !isUuid(ownerId))) return null;
    const images = this.db.prisma.image;
    await images.updateMany({ where: changing([imageId], label, ownerId), data: stamp(label) });
    const row = await images.findFirst({ where: { id: imageId, ownerId } });
    return row && toImageRecord(row);
  }

  async setLabels(assignments: LabelAssignment[], ownerId?: string): Promise<Set<string>> {
    if (ownerId !== undefined && !isUuid(ownerId)) return new Set();
    // The last assignment of an image wins; one statement per distinct label.
    const latest = new Map<string, string | null>();
    for (const { imageId, label } of assignments) if (isUuid(imageId)) latest.set(imageId, label);
    const byLabel = new Map<string | null, string[]>();
    for (const [imageId, label] of latest) {
      byLabel.set(label, [...(byLabel.get(label) ?? []), imageId]);
    }
    const ids = [...latest.keys()];
    const owner = ownerId ?? null;
    const found = await this.db.prisma.$transaction(async (tx) => {
      // Locked in id order before any update: concurrent requests listing the same images in
      // other orders queue behind each other instead of deadlocking.
      const rows = await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text AS id FROM images
        WHERE id = ANY(${ids}::uuid[])
          AND (${owner}::uuid IS NULL OR owner_id = ${owner}::uuid)
        ORDER BY id FOR UPDATE`;
      for (const [label, labelIds] of byLabel) {
        await tx.image.updateMany({
          where: changing(labelIds, label, ownerId),
          data: stamp(label),
        });
      }
      return rows;
    });
    return new Set(found.map(({ id }) => id));
  }

  async summarize(labels: string[]): Promise<LabelSummary> {
    const groups = await this.db.prisma.image.groupBy({
      by: ['label'],
      where: { label: labelled(labels) },
      _count: { _all: true },
      _max: { labeledAt: true },
    });
    const summary: LabelSummary = { examplesPerLabel: {}, lastLabeledAt: null };
    for (const group of groups) {
      summary.examplesPerLabel[group.label!] = group._count._all;
      const at = group._max.labeledAt;
      if (at && (!summary.lastLabeledAt || at > summary.lastLabeledAt)) summary.lastLabeledAt = at;
    }
    return summary;
  }

  async findExamples(labels: string[], embeddingModel: string): Promise<LabelledExample[]> {
    const rows = await this.db.prisma.image.findMany({
      where: { label: labelled(labels) },
      select: {
        id: true,
        label: true,
        storageKey: true,
        originalDeletedAt: true,
        embeddings: { where: { model: embeddingModel }, select: { dim: true, vector: true } },
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map((row) => {
      const [stored] = row.embeddings;
      return {
        imageId: row.id,
        label: row.label!,
        storageKey: row.storageKey,
        originalAvailable: row.originalDeletedAt === null,
        embedding: stored ? vectorOf(stored) : null,
      };
    });
  }
}

/** Images labelled with one of `labels`; with any label when empty. */
function labelled(labels: string[]): Prisma.StringNullableFilter {
  return labels.length > 0 ? { in: labels } : { not: null };
}

/** The images among `ids` whose label is not `label` yet: only they change. */
function changing(ids: string[], label: string | null, ownerId?: string): Prisma.ImageWhereInput {
  return {
    id: { in: ids },
    ownerId,
    ...(label === null
      ? { label: { not: null } }
      : { OR: [{ label: null }, { label: { not: label } }] }),
  };
}

function stamp(label: string | null): Prisma.ImageUpdateManyMutationInput {
  return { label, labeledAt: label === null ? null : new Date() };
}
