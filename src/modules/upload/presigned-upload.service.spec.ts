import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { testImages } from '../../../test/support/images';
import { FakeImages, sha256Of, uploadServiceUnderTest } from '../../../test/support/upload-fakes';
import { CompletionClaim, ImageRecord } from '../persistence';
import {
  ObjectNotFoundError,
  ObjectRead,
  ObjectStat,
  ObjectStorage,
  SignedPutOptions,
  SignedUrl,
} from '../storage/object-storage';
import { PresignedUploadService } from './presigned-upload.service';

interface StoredBytes {
  bytes: Buffer;
  contentType: string;
}

/** Object storage in a map; a signed link is a note of what it allows. */
class FakeStorage implements Partial<ObjectStorage> {
  readonly objects = new Map<string, StoredBytes>();
  readonly links: { key: string; options: SignedPutOptions }[] = [];

  /** What a client does with the link: PUT bytes to its key. */
  arrive(key: string, bytes: Buffer, contentType: string): void {
    this.objects.set(key, { bytes, contentType });
  }

  async signedPutUrl(key: string, options: SignedPutOptions): Promise<SignedUrl> {
    this.links.push({ key, options });
    return { url: `https://store.test/${key}`, method: 'PUT', headers: {} } as SignedUrl;
  }

  async stat(key: string): Promise<ObjectStat | null> {
    const found = this.objects.get(key);
    return found ? this.statOf(key, found) : null;
  }

  async copy(sourceKey: string, targetKey: string): Promise<ObjectStat> {
    const found = this.objects.get(sourceKey);
    if (!found) throw new ObjectNotFoundError(sourceKey);
    this.objects.set(targetKey, found);
    return this.statOf(targetKey, found);
  }

  async get(key: string): Promise<ObjectRead> {
    const found = this.objects.get(key);
    if (!found) throw new ObjectNotFoundError(key);
    return { ...this.statOf(key, found), body: Readable.from([found.bytes]) };
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  private statOf(key: string, { bytes, contentType }: StoredBytes): ObjectStat {
    return {
      key,
      size: bytes.length,
      etag: sha256Of(bytes),
      contentType,
      lastModified: new Date(),
    };
  }
}

/** With the claim and dedup rules of the real repository. */
class FakePresignedImages extends FakeImages {
  readonly duplicateOf = new Map<string, ImageRecord>();
  private readonly claims = new Map<string, string>();

  async findById(id: string): Promise<ImageRecord | null> {
    return this.rows.find((r) => r.id === id) ?? null;
  }

  async findByIdForOwner(id: string, ownerId: string): Promise<ImageRecord | null> {
    return this.rows.find((r) => r.id === id && r.ownerId === ownerId) ?? null;
  }

  async findDuplicateUpload(id: string, ownerId: string): Promise<ImageRecord | null> {
    const original = this.duplicateOf.get(id);
    return original?.ownerId === ownerId ? original : null;
  }

  async claimCompletion(id: string, ownerId: string): Promise<CompletionClaim | null> {
    const image = await this.findByIdForOwner(id, ownerId);
    if (!image || image.status !== 'pending' || this.claims.has(id)) return null;
    const token = randomUUID();
    this.claims.set(id, token);
    return { image, token };
  }

  async releaseCompletion(id: string, token: string): Promise<void> {
    if (this.claims.get(id) === token) this.claims.delete(id);
  }

  async completeUpload(
    id: string,
    token: string,
    result: { sha256: string; storageKey: string },
  ): Promise<{ image: ImageRecord; duplicate: boolean } | null> {
    if (this.claims.get(id) !== token) return null;
    this.claims.delete(id);
    const index = this.rows.findIndex((r) => r.id === id);
    const pending = this.rows[index];
    const original = await this.findBySha256ForOwner(pending.ownerId, result.sha256);
    if (original) {
      this.rows.splice(index, 1);
      this.duplicateOf.set(id, original);
      return { image: original, duplicate: true };
    }
    const image = { ...pending, ...result, status: 'uploaded' } as ImageRecord;
    this.rows[index] = image;
    return { image, duplicate: false };
  }

  async abandonUpload(id: string, token: string): Promise<boolean> {
    if (this.claims.get(id) !== token) return false;
    this.claims.delete(id);
    this.rows.splice(
      this.rows.findIndex((r) => r.id === id),
      1,
    );
    return true;
  }
}

describe('PresignedUploadService', () => {
  const owner = randomUUID();
  let storage: FakeStorage;
  let images: FakePresignedImages;
  let enqueue: jest.Mock;
  let service: PresignedUploadService;
  let png: Buffer;

  beforeAll(async () => {
    png = await testImages.png(8, 8);
  });

  beforeEach(async () => {
    storage = new FakeStorage();
    images = new FakePresignedImages();
    ({ service, enqueue } = await uploadServiceUnderTest(
      PresignedUploadService,
      { images, storage },
      { UPLOAD_URL_TTL_S: '120' },
    ));
  });

  async function startPng(declared: { sha256?: string } = {}): Promise<ImageRecord> {
    const started = await service.start(owner, {
      contentType: 'image/png',
      size: png.length,
      label: 'cat',
      ...declared,
    });
    if (!('link' in started)) throw new Error('expected a pending upload');
    return started.image;
  }

  it('records a pending image and signs a link to its staging key for the declared bytes', async () => {
    const image = await startPng();
    expect(image).toMatchObject({ ownerId: owner, status: 'pending', label: 'cat' });
    expect(storage.links).toEqual([
      {
        key: image.storageKey,
        options: { expiresInS: 120, contentType: 'image/png', contentLength: png.length },
      },
    ]);
    expect(enqueue).not.toHaveBeenCalled();
  });

  it('refuses an unsupported type before signing anything', async () => {
    await expect(
      service.start(owner, { contentType: 'text/plain', size: 10 }),
    ).rejects.toMatchObject({ status: 415 });
    expect(storage.links).toEqual([]);
    expect(images.rows).toEqual([]);
  });

  it('moves the arrived bytes to the original key, records the sha256 and enqueues once', async () => {
    const pending = await startPng();
    storage.arrive(pending.storageKey, png, 'image/png');

    const { image, duplicate } = await service.complete(owner, pending.id);

    expect(duplicate).toBe(false);
    expect(image).toMatchObject({
      id: pending.id,
      status: 'uploaded',
      sha256: sha256Of(png),
      storageKey: `originals/${owner}/${pending.id}`,
    });
    expect([...storage.objects.keys()]).toEqual([image.storageKey]);
    expect(enqueue).toHaveBeenCalledWith(image);
    expect(await service.complete(owner, pending.id)).toEqual({ image, duplicate: false });
    expect(enqueue).toHaveBeenCalledTimes(1);
  });

  it('completes and enqueues even when storage refuses to drop the staging copy', async () => {
    const pending = await startPng();
    storage.arrive(pending.storageKey, png, 'image/png');
    const deleteObject = storage.delete.bind(storage);
    storage.delete = async (key: string) => {
      if (key === pending.storageKey) throw new Error('S3 answered 500 InternalError');
      return deleteObject(key);
    };

    const { image, duplicate } = await service.complete(owner, pending.id);

    expect(duplicate).toBe(false);
    expect(image).toMatchObject({ id: pending.id, status: 'uploaded' });
    expect(enqueue).toHaveBeenCalledWith(image);
    // Left for the upload sweep (a staging object whose upload is no longer pending).
    expect([...storage.objects.keys()].sort()).toEqual(
      [image.storageKey, pending.storageKey].sort(),
    );
  });

  it('answers bytes the owner already has with that image and keeps one copy', async () => {
    const first = await startPng();
    storage.arrive(first.storageKey, png, 'image/png');
    const { image: original } = await service.complete(owner, first.id);
    const second = await startPng();
    storage.arrive(second.storageKey, png, 'image/png');

    expect(await service.complete(owner, second.id)).toEqual({ image: original, duplicate: true });
    expect([...storage.objects.keys()]).toEqual([original.storageKey]);
    expect(enqueue).toHaveBeenCalledTimes(1);
  });

  it('leaves the upload pending for a retry while no bytes have arrived', async () => {
    const pending = await startPng();
    await expect(service.complete(owner, pending.id)).rejects.toMatchObject({
      code: 'upload_incomplete',
    });
    expect(await images.findById(pending.id)).toMatchObject({ status: 'pending' });

    storage.arrive(pending.storageKey, png, 'image/png');
    await expect(service.complete(owner, pending.id)).resolves.toMatchObject({
      image: { status: 'uploaded' },
    });
  });

  it('condemns bytes that do not match the declared sha256', async () => {
    const pending = await startPng({ sha256: 'a'.repeat(64) });
    storage.arrive(pending.storageKey, png, 'image/png');

    await expect(service.complete(owner, pending.id)).rejects.toMatchObject({
      code: 'checksum_mismatch',
    });
    expect(images.rows).toEqual([]);
    expect(storage.objects.size).toBe(0);
    expect(enqueue).not.toHaveBeenCalled();
  });

  it('condemns bytes stored with another content type than declared', async () => {
    const pending = await startPng();
    storage.arrive(pending.storageKey, png, 'image/jpeg');

    await expect(service.complete(owner, pending.id)).rejects.toMatchObject({
      code: 'signed_url_invalid',
    });
    expect(images.rows).toEqual([]);
    expect(storage.objects.size).toBe(0);
  });

  it('answers 404 for an upload of another owner', async () => {
    const pending = await startPng();
    await expect(service.complete(randomUUID(), pending.id)).rejects.toMatchObject({
      code: 'image_not_found',
    });
  });
});
