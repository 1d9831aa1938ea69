import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client, CopyDestinationOptions, CopySourceOptions } from 'minio';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Clock } from '../../common/clock';
import type { StorageConfig } from '../../config';
import { resolveRange } from './byte-range';
import { HashingLimit } from './hashing-limit';
import { assertValidKey } from './object-key';
import {
  ByteRange,
  ObjectNotFoundError,
  ObjectRead,
  ObjectStat,
  ObjectStorage,
  ObjectSummary,
  PutOptions,
  SignedGetOptions,
  SignedPutOptions,
  SignedUrl,
  StoredObject,
} from './object-storage';
import { presignS3Url } from './s3-presigner';
import { TimedTransport } from './timed-transport';

export type S3Config = Extract<StorageConfig, { kind: 's3' }>;

const SSE_HEADER = 'X-Amz-Server-Side-Encryption';
const MAX_PRESIGN_EXPIRY_S = 7 * 24 * 3600;

/**
 * S3 or MinIO through the `minio` client. An upload is first spooled to a temp file, counted
 * and hashed on the way, so a refused upload never reaches the bucket (minio-js would buffer
 * it in memory anyway, and a failed multipart upload would linger). Presigned URLs are signed
 * here, for the public endpoint, with the Content-Type and Content-Length the client must send.
 */
export class MinioStorage extends ObjectStorage implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MinioStorage.name);
  private readonly transport: TimedTransport;
  private readonly client: Client;
  private readonly bucket: string;
  private readonly clock: Clock;

  constructor(
    private readonly config: S3Config,
    {
      requestTimeoutMs = 30_000,
      clock = new Clock(),
    }: { requestTimeoutMs?: number; clock?: Clock } = {},
  ) {
    super();
    this.clock = clock;
    const url = new URL(config.endpoint);
    const useSSL = url.protocol === 'https:';
    this.transport = new TimedTransport(useSSL, requestTimeoutMs);
    this.bucket = config.bucket;
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      pathStyle: true,
      transport: this.transport,
      transportAgent: this.transport.agent,
    });
  }

  async onModuleInit(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.config.region);
      this.logger.log(`Created bucket ${this.bucket}`);
    } catch (error) {
      // Another replica booting at the same time may have created it first.
      if (!(await this.client.bucketExists(this.bucket))) throw error;
    }
  }

  onModuleDestroy(): void {
    this.transport.close();
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    assertValidKey(key);
    const spoolDir = join(tmpdir(), 'vireo-spool');
    const spool = join(spoolDir, randomUUID());
    await mkdir(spoolDir, { recursive: true });
    const counted = new HashingLimit(options.maxBytes);
    try {
      await pipeline(body, counted, createWriteStream(spool, { flags: 'wx' }));
      const sha256 = counted.digest();
      counted.assertExpected(options, sha256);
      const uploaded = await this.client
        .putObject(this.bucket, key, createReadStream(spool), counted.size, {
          'Content-Type': options.contentType,
          ...this.encryptionHeaders(),
        })
        .catch(async (error: unknown) => {
          await this.client.removeIncompleteUpload(this.bucket, key).catch(() => undefined);
          throw error;
        });
      return { key, size: counted.size, sha256, etag: quoted(uploaded.etag) };
    } finally {
      await rm(spool, { force: true });
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectRead> {
    const found = await this.stat(key);
    if (!found) throw new ObjectNotFoundError(key);
    const served = range && resolveRange(range, found.size);
    const body = served
      ? await this.client.getPartialObject(
          this.bucket,
          key,
          served.start,
          served.end - served.start + 1,
        )
      : await this.client.getObject(this.bucket, key);
    return { ...found, body, range: served };
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertValidKey(key);
    try {
      const item = await this.client.statObject(this.bucket, key);
      return {
        key,
        size: item.size,
        contentType: String(item.metaData['content-type'] ?? 'application/octet-stream'),
        etag: quoted(item.etag),
        lastModified: item.lastModified,
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async copy(sourceKey: string, targetKey: string): Promise<ObjectStat> {
    assertValidKey(sourceKey);
    assertValidKey(targetKey);
    try {
      await this.client.copyObject(
        new CopySourceOptions({ Bucket: this.bucket, Object: sourceKey }),
        new CopyDestinationOptions({
          Bucket: this.bucket,
          Object: targetKey,
          Headers: this.encryptionHeaders(),
        }),
      );
    } catch (error) {
      throw isNotFound(error) ? new ObjectNotFoundError(sourceKey) : error;
    }
    const copied = await this.stat(targetKey);
    if (!copied) throw new ObjectNotFoundError(targetKey);
    return copied;
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.removeObject(this.bucket, key);
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    const found: ObjectSummary[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if (item.name) {
        found.push({
          key: item.name,
          size: item.size,
          etag: quoted(item.etag),
          lastModified: item.lastModified,
        });
      }
    }
    return found;
  }

  async signedPutUrl(key: string, options: SignedPutOptions): Promise<SignedUrl> {
    const headers: Record<string, string> = {
      'Content-Type': options.contentType,
      ...this.encryptionHeaders(),
    };
    if (options.contentLength !== undefined) {
      headers['Content-Length'] = String(options.contentLength);
    }
    return this.presign(key, 'PUT', options.expiresInS, headers);
  }

  /**
   * S3 sets the answer's Content-Type and Content-Disposition (attachment) from signed query
   * parameters; it has none for Content-Security-Policy, so the bucket's own origin is what
   * keeps user content apart from the API's there.
   */
  async signedGetUrl(key: string, options: SignedGetOptions): Promise<SignedUrl> {
    const query: Record<string, string> = { 'response-content-disposition': 'attachment' };
    if (options.responseContentType) query['response-content-type'] = options.responseContentType;
    return this.presign(key, 'GET', options.expiresInS, {}, query);
  }

  async ping(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) {
      throw new Error(`Bucket ${this.bucket} is missing`);
    }
  }

  /** Signed for the address clients use (`publicEndpoint`), which may differ from ours. */
  private presign(
    key: string,
    method: 'GET' | 'PUT',
    expiresInS: number,
    headers: Record<string, string>,
    query?: Record<string, string>,
  ): SignedUrl {
    assertValidKey(key);
    if (!Number.isInteger(expiresInS) || expiresInS < 1 || expiresInS > MAX_PRESIGN_EXPIRY_S) {
      throw new RangeError(
        `S3 presigned URLs last 1 to ${MAX_PRESIGN_EXPIRY_S} s, not ${expiresInS}`,
      );
    }
    // S3 counts the expiry from X-Amz-Date, which has whole seconds.
    const now = new Date(Math.floor(this.clock.now() / 1000) * 1000);
    const base = this.config.publicEndpoint ?? this.config.endpoint;
    const url = presignS3Url(
      {
        method,
        url: new URL(`/${this.bucket}/${key}`, base),
        expiresInS,
        headers,
        query,
        now,
      },
      this.config,
    );
    return { url, method, headers, expiresAt: new Date(now.getTime() + expiresInS * 1000) };
  }

  private encryptionHeaders(): Record<string, string> {
    return this.config.serverSideEncryption ? { [SSE_HEADER]: 'AES256' } : {};
  }
}

function quoted(etag: string): string {
  return `"${etag}"`;
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'NotFound' || code === 'NoSuchKey';
}
