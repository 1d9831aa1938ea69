import type { Readable } from 'node:stream';

export interface PutOptions {
  contentType: string;
  /** Refuse (`ObjectTooLargeError`, nothing stored) past this many bytes. */
  maxBytes?: number;
  /** Refuse (`SizeMismatchError`, nothing stored) unless exactly this many bytes arrive. */
  expectedSize?: number;
  /** Refuse (`ChecksumMismatchError`, nothing stored) unless the bytes hash to this (hex SHA-256). */
  expectedSha256?: string;
}

export interface StoredObject {
  key: string;
  size: number;
  /** Hex SHA-256, computed while the bytes streamed in. */
  sha256: string;
  etag: string;
}

export interface ObjectSummary {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
  /** Hex SHA-256 recorded when the object was stored (local disk); S3 keeps only its ETag. */
  sha256?: string;
}

export interface ObjectStat extends ObjectSummary {
  contentType: string;
}

/** Inclusive byte offsets, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectRead extends ObjectStat {
  body: Readable;
  /** The range actually served, when one was asked for. */
  range?: { start: number; end: number };
}

export interface SignedPutOptions {
  expiresInS: number;
  contentType: string;
  /** The exact size the upload must have. */
  contentLength?: number;
}

export interface SignedGetOptions {
  expiresInS: number;
  /** The Content-Type the response carries instead of the stored one. */
  responseContentType?: string;
}

export interface SignedUrl {
  url: string;
  method: 'GET' | 'PUT';
  /** Headers the client must send with the request. */
  headers: Record<string, string>;
  expiresAt: Date;
}

/** No object at that key. */
export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';

  constructor(readonly key: string) {
    super(`No object at ${key}`);
  }
}

/**
 * Object bytes (originals, derivatives, model artifacts): S3/MinIO, or a directory on local
 * disk on the embedded default. A failed put leaves nothing behind.
 */
export abstract class ObjectStorage {
  abstract put(key: string, body: Readable, options: PutOptions): Promise<StoredObject>;

  /** Throws `ObjectNotFoundError`; a range past the end throws `RangeNotSatisfiableError`. */
  abstract get(key: string, range?: ByteRange): Promise<ObjectRead>;

  /** `null` when there is no such object. */
  abstract stat(key: string): Promise<ObjectStat | null>;

  /**
   * Copies the bytes and content type of `sourceKey` to `targetKey`, replacing what was there;
   * the target appears whole or not at all. Throws `ObjectNotFoundError` for a missing source.
   */
  abstract copy(sourceKey: string, targetKey: string): Promise<ObjectStat>;

  /** Idempotent: deleting a missing object is not an error. */
  abstract delete(key: string): Promise<void>;

  /** Every object whose key starts with `prefix`. */
  abstract list(prefix: string): Promise<ObjectSummary[]>;

  /**
   * A URL a client can PUT the bytes to, without credentials, until it expires. The client
   * must send `headers` as given: the Content-Type (and Content-Length, when set) are signed.
   */
  abstract signedPutUrl(key: string, options: SignedPutOptions): Promise<SignedUrl>;

  /**
   * A URL a client can GET the bytes from, without credentials, until it expires. The answer
   * says `Content-Disposition: attachment` (and, on local disk, `Content-Security-Policy:
   * sandbox`): stored bytes are user content.
   */
  abstract signedGetUrl(key: string, options: SignedGetOptions): Promise<SignedUrl>;

  /** Rejects when the backend cannot be reached (the readiness check). */
  abstract ping(signal?: AbortSignal): Promise<void>;
}
