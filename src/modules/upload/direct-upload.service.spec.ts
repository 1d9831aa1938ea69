import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { testImages } from '../../../test/support/images';
import { FakeImages, sha256Of, uploadServiceUnderTest } from '../../../test/support/upload-fakes';
import { ImageRecord, NewImage } from '../persistence';
import { ObjectStorage, PutOptions, StoredObject } from '../storage/object-storage';
import { DirectUploadService } from './direct-upload.service';

/** Object storage in a map, hashing what it stores as the real adapters do. */
class FakeStorage implements Partial<ObjectStorage> {
  readonly objects = new Map<string, Buffer>();

  async put(key: string, body: Readable, _options: PutOptions): Promise<StoredObject> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    this.objects.set(key, bytes);
    const sha256 = sha256Of(bytes);
    return { key, size: bytes.length, sha256, etag: sha256 };
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

/** With the one statement that settles deduplication, as the real repository has it. */
class FakeDirectImages extends FakeImages {
  async createUnlessDuplicate(
    image: NewImage & { sha256: string },
  ): Promise<{ image: ImageRecord; duplicate: boolean }> {
    const existing = await this.findBySha256ForOwner(image.ownerId, image.sha256);
    return existing
      ? { image: existing, duplicate: true }
      : { image: await this.create(image), duplicate: false };
  }
}

/** A multipart request as @fastify/multipart hands it over: one image in `file`, then fields. */
function formRequest(image: Buffer, fields: Record<string, string> = {}): FastifyRequest {
  const file = Object.assign(Readable.from([image]), { truncated: false });
  const parts = [
    { type: 'file', fieldname: 'file', filename: 'cat.png', mimetype: 'image/png', file },
    ...Object.entries(fields).map(([fieldname, value]) => ({ type: 'field', fieldname, value })),
  ];
  return {
    headers: {},
    isMultipart: () => true,
    parts: async function* () {
      yield* parts;
    },
  } as unknown as FastifyRequest;
}

describe('DirectUploadService', () => {
  const owner = randomUUID();
  let storage: FakeStorage;
  let images: FakeDirectImages;
  let enqueue: jest.Mock;
  let service: DirectUploadService;
  let png: Buffer;

  beforeAll(async () => {
    png = await testImages.png(8, 8);
  });

  beforeEach(async () => {
    storage = new FakeStorage();
    images = new FakeDirectImages();
    ({ service, enqueue } = await uploadServiceUnderTest(DirectUploadService, { images, storage }));
  });

  it('stores the bytes under the new image, records it uploaded and enqueues it', async () => {
    const { image, duplicate } = await service.upload(
      owner,
      formRequest(png, { label: 'cat', metadata: '{"camera":"x"}' }),
    );
    expect(duplicate).toBe(false);
    expect(image).toMatchObject({
      ownerId: owner,
      status: 'uploaded',
      contentType: 'image/png',
      sizeBytes: png.length,
      originalName: 'cat.png',
      label: 'cat',
      metadata: { camera: 'x' },
      storageKey: `originals/${owner}/${image.id}`,
    });
    expect(storage.objects.get(image.storageKey)).toEqual(png);
    expect(enqueue).toHaveBeenCalledWith(image);
  });

  it('answers the same bytes again with the image it has, storing and enqueueing nothing', async () => {
    const first = await service.upload(owner, formRequest(png));
    const again = await service.upload(owner, formRequest(png));
    expect(again).toEqual({ image: first.image, duplicate: true });
    expect([...storage.objects.keys()]).toEqual([first.image.storageKey]);
    expect(enqueue).toHaveBeenCalledTimes(1);
  });

  it('removes the stored bytes when a field is refused after the file', async () => {
    await expect(
      service.upload(owner, formRequest(png, { metadata: 'not json' })),
    ).rejects.toMatchObject({ status: 400 });
    expect(storage.objects.size).toBe(0);
    expect(images.rows).toEqual([]);
  });

  it('keeps the stored bytes when the database went away while writing the row (it may have committed)', async () => {
    const terminated = new Error('Connection terminated unexpectedly');
    jest.spyOn(images, 'createUnlessDuplicate').mockRejectedValue(terminated);

    await expect(service.upload(owner, formRequest(png))).rejects.toBe(terminated);

    expect(storage.objects.size).toBe(1);
  });

  it('refuses a request that is no multipart form before storing anything', async () => {
    const plain = { isMultipart: () => false } as unknown as FastifyRequest;
    await expect(service.upload(owner, plain)).rejects.toMatchObject({
      code: 'multipart_required',
    });
    expect(storage.objects.size).toBe(0);
  });
});
