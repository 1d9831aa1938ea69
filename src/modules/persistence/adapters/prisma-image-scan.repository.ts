import { Injectable } from '@nestjs/common';
import { DatabaseClient } from '../database/database-client';
import { ImageIdRange, ImageScanRepository } from '../domain/image-scan';
import { ImageRecord } from '../domain/image';
import { toImageRecord } from './prisma-image.repository';

@Injectable()
export class PrismaImageScanRepository extends ImageScanRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  async planRanges(size: number): Promise<{ total: number; ranges: ImageIdRange[] }> {
    // The last id of every `size`-th image, and of the very last one, in one pass.
    const ends = await this.db.prisma.$queryRaw<{ id: string; total: bigint }[]>`
      SELECT id::text AS id, total FROM (
        SELECT id, row_number() OVER (ORDER BY id) AS position, count(*) OVER () AS total
        FROM images WHERE status = 'processed'
      ) numbered
      WHERE position % ${size} = 0 OR position = total
      ORDER BY id`;
    const ranges = ends.map(({ id }, i) => ({ after: i === 0 ? null : ends[i - 1].id, last: id }));
    return { total: Number(ends[0]?.total ?? 0), ranges };
  }

  async page(range: ImageIdRange, limit: number): Promise<ImageRecord[]> {
    const rows = await this.db.prisma.image.findMany({
      where: {
        status: 'processed',
        id: { ...(range.after !== null && { gt: range.after }), lte: range.last },
      },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map(toImageRecord);
  }

  async withEmbedding(imageIds: string[], model: string): Promise<Set<string>> {
    const rows = await this.db.prisma.embedding.findMany({
      where: { imageId: { in: imageIds }, model },
      select: { imageId: true },
    });
    return new Set(rows.map((row) => row.imageId));
  }

  async withPrediction(imageIds: string[], versionId: string): Promise<Set<string>> {
    const rows = await this.db.prisma.prediction.findMany({
      where: { imageId: { in: imageIds }, modelVersionId: versionId },
      select: { imageId: true },
    });
    return new Set(rows.map((row) => row.imageId));
  }
}
