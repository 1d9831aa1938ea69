import { Injectable } from '@nestjs/common';
import { DatabaseClient } from '../database/database-client';
import { EmbeddingRecord, EmbeddingRepository } from '../domain/embedding';
import { isUuid } from './ids';

/** Vectors are stored as raw float32 bytes in the platform's (little-endian) byte order. */
@Injectable()
export class PrismaEmbeddingRepository extends EmbeddingRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  async upsert(imageId: string, model: string, vector: Float32Array): Promise<void> {
    const data = embeddingData(vector);
    await this.db.prisma.embedding.upsert({
      where: { imageId_model: { imageId, model } },
      create: { imageId, model, ...data },
      update: data,
    });
  }

  async get(imageId: string, model: string): Promise<EmbeddingRecord | null> {
    if (!isUuid(imageId)) return null;
    const row = await this.db.prisma.embedding.findUnique({
      where: { imageId_model: { imageId, model } },
    });
    if (!row) return null;
    return {
      imageId: row.imageId,
      model: row.model,
      vector: vectorOf(row),
      createdAt: row.createdAt,
    };
  }
}

/** A stored embedding's vector. */
export function vectorOf(row: { dim: number; vector: Uint8Array }): Float32Array {
  // Copied into a fresh buffer: the driver's bytes need not be 4-byte aligned.
  return new Float32Array(new Uint8Array(row.vector).buffer, 0, row.dim);
}

/** An embedding's stored columns. */
export function embeddingData(vector: Float32Array) {
  return {
    dim: vector.length,
    vector: Uint8Array.from(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength)),
    createdAt: new Date(),
  };
}
