import { createHash } from 'node:crypto';
import { ObjectStorage } from '../storage/object-storage';
import { IMAGE_SIGNATURE_BYTES } from '../../common/images/image-type';

export interface ObjectDigest {
  /** The first bytes, enough to sniff the image type. */
  head: Buffer;
  sha256: string;
}

/** Reads a stored object once, end to end: its first bytes and its hex SHA-256. */
export async function digestStoredObject(
  storage: ObjectStorage,
  key: string,
): Promise<ObjectDigest> {
  const { body } = await storage.get(key);
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headLength = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (headLength < IMAGE_SIGNATURE_BYTES) {
      head.push(chunk);
      headLength += chunk.length;
    }
  }
  return {
    head: Buffer.concat(head).subarray(0, IMAGE_SIGNATURE_BYTES),
    sha256: hash.digest('hex'),
  };
}
