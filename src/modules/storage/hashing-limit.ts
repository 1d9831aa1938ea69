import { createHash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { PutOptions } from './object-storage';
import { ChecksumMismatchError, ObjectTooLargeError, SizeMismatchError } from './storage-errors';

/** Counts and hashes the bytes passing through, and fails the stream past `maxBytes`. */
export class HashingLimit extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly maxBytes = Infinity) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      done(new ObjectTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  /** After the stream ended: the size and checksum the caller expected, if any. */
  assertExpected({ expectedSize, expectedSha256 }: PutOptions, sha256: string): void {
    if (expectedSize !== undefined && this.size !== expectedSize) {
      throw new SizeMismatchError(expectedSize, this.size);
    }
    if (expectedSha256 !== undefined && sha256 !== expectedSha256.toLowerCase()) {
      throw new ChecksumMismatchError();
    }
  }
}
