import type { Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createHash, randomUUID } from 'node:crypto';
import { AppConfig } from '../../src/config';
import {
  DuplicateRecordError,
  ImageRecord,
  ImageRepository,
  NewImage,
} from '../../src/modules/persistence';
import { ObjectStorage } from '../../src/modules/storage/object-storage';
import { DuplicateImages } from '../../src/modules/upload/duplicate-images';
import { ProcessingEnqueuer } from '../../src/modules/upload/processing-enqueuer';

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Images in a list, unique per (owner, sha256) like the real table (a pending image has no
 * sha256 yet); a spec extends it with what its service asks of the repository.
 */
export class FakeImages implements Partial<ImageRepository> {
  readonly rows: ImageRecord[] = [];

  async create(image: NewImage): Promise<ImageRecord> {
    if (image.sha256 && (await this.findBySha256ForOwner(image.ownerId, image.sha256))) {
      throw new DuplicateRecordError('image', ['owner_id', 'sha256']);
    }
    const row = { ...image, id: image.id ?? randomUUID() } as ImageRecord;
    this.rows.push(row);
    return row;
  }

  async findBySha256ForOwner(ownerId: string, sha256: string): Promise<ImageRecord | null> {
    return this.rows.find((r) => r.ownerId === ownerId && r.sha256 === sha256) ?? null;
  }
}

export interface UploadServiceUnderTest<S> {
  service: S;
  /** The `ProcessingEnqueuer.enqueue` the service calls; resolves at once. */
  enqueue: jest.Mock;
}

/**
 * An upload service (`DirectUploadService`, `PresignedUploadService`) with the real
 * `DuplicateImages` over the given fakes, settings from `env`.
 */
export async function uploadServiceUnderTest<S>(
  serviceType: Type<S>,
  fakes: { images: Partial<ImageRepository>; storage: Partial<ObjectStorage> },
  env: Record<string, string> = {},
): Promise<UploadServiceUnderTest<S>> {
  const enqueue = jest.fn().mockResolvedValue(undefined);
  const moduleRef = await Test.createTestingModule({
    providers: [
      serviceType,
      DuplicateImages,
      { provide: ImageRepository, useValue: fakes.images },
      { provide: ObjectStorage, useValue: fakes.storage },
      { provide: ProcessingEnqueuer, useValue: { enqueue } },
      { provide: AppConfig, useValue: AppConfig.fromEnv(env) },
    ],
  }).compile();
  return { service: moduleRef.get(serviceType), enqueue };
}
