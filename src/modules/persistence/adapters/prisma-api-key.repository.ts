import { Injectable } from '@nestjs/common';
import type { ApiKey as ApiKeyRow } from '../../../generated/prisma/client';
import { DatabaseClient } from '../database/database-client';
import { ApiKeyRecord, ApiKeyRepository, NewApiKeyRecord } from '../domain/api-key';
import { isUuid } from './ids';
import { unlessDuplicate } from './prisma-errors';

/** `lastUsedAt` is refreshed at most this often, so a busy key costs few writes. */
const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class PrismaApiKeyRepository extends ApiKeyRepository {
  constructor(private readonly db: DatabaseClient) {
    super();
  }

  private get apiKeys() {
    return this.db.prisma.apiKey;
  }

  async create(key: NewApiKeyRecord): Promise<ApiKeyRecord> {
    const row = await unlessDuplicate('api key', () => this.apiKeys.create({ data: toData(key) }));
    return toApiKeyRecord(row);
  }

  async createIfAbsent(key: NewApiKeyRecord): Promise<ApiKeyRecord | null> {
    const [row] = await this.apiKeys.createManyAndReturn({
      data: [toData(key)],
      skipDuplicates: true,
    });
    return row ? toApiKeyRecord(row) : null;
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.apiKeys.findUnique({ where: { id } });
    return row && toApiKeyRecord(row);
  }

  async findByPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    const row = await this.apiKeys.findUnique({ where: { prefix } });
    return row && toApiKeyRecord(row);
  }

  async listForOwner(ownerId: string): Promise<ApiKeyRecord[]> {
    if (!isUuid(ownerId)) return [];
    const rows = await this.apiKeys.findMany({
      where: { ownerId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    return rows.map(toApiKeyRecord);
  }

  async revoke(id: string, ownerId?: string, at = new Date()): Promise<boolean> {
    if (!isUuid(id) || (ownerId !== undefined && !isUuid(ownerId))) return false;
    const { count } = await this.apiKeys.updateMany({
      where: { id, ownerId, revokedAt: null },
      data: { revokedAt: at },
    });
    return count > 0;
  }

  async touchLastUsed(id: string, at = new Date()): Promise<void> {
    if (!isUuid(id)) return;
    await this.apiKeys.updateMany({
      where: {
        id,
        OR: [
          { lastUsedAt: null },
          { lastUsedAt: { lt: new Date(at.getTime() - TOUCH_INTERVAL_MS) } },
        ],
      },
      data: { lastUsedAt: at },
    });
  }
}

function toData({ rateLimits, expiresAt, ...key }: NewApiKeyRecord) {
  return { ...key, rateLimits: rateLimits ?? undefined, expiresAt: expiresAt ?? undefined };
}

function toApiKeyRecord(row: ApiKeyRow): ApiKeyRecord {
  return { ...row, rateLimits: row.rateLimits as Record<string, number> | null };
}
