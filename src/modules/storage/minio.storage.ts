import { Logger, OnModuleInit } from '@nestjs/common';
import { Client, S3Error } from 'minio';
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
  SignedPutOptions,
  SignedUrl,
  StoredObject,
} from './object-storage';

type S3Config = Extract<StorageConfig, { kind: 's3' }>;

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * S3 or MinIO through the `minio` client. An upload is first streamed to a temp file, counted
 * and hashed on the way, so size and checksum are known before anything reaches the bucket.
 * Presigned PUTs carry no signed Content-Type (minio-js never signs it); completion checks
 * the stored object instead.
 */
export class MinioStorage extends ObjectStorage implements OnModuleInit {
  private readonly logger = new Logger(MinioStorage.name);
  private readonly client: Client;
  /** Signs URLs for the address clients use, which may differ from ours. */
  private readonly signingClient: Client;

  constructor(private readonly config: S3Config) {
    super();
    this.client = clientFor(config.endpoint, config);
    this.signingClient = config.publicEndpoint
      ? clientFor(config.publicEndpoint, config)
      : this.client;
  }

  async onModuleInit(): Promise<void> {
    if (!(await this.client.bucketExists(this.config.bucket))) {
      await this.client
        .makeBucket(this.config.bucket, this.config.region)
        .catch((error: S3Error) => {
          if (error.code !== 'BucketAlreadyOwnedByYou') throw error;
        });
      this.logger.log(`Created bucket ${this.config.bucket}`);
    }
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<StoredObject> {
    assertValidKey(key);
    const spool = join(tmpdir(), 'vireo-uploads', randomUUID());
    await mkdir(join(tmpdir(), 'vireo-uploads'), { recursive: true });
    const counted = new HashingLimit(options.maxBytes);
    try {
      await pipeline(body, counted, createWriteStream(spool, { flags: 'wx' }));
      const sha256 = counted.digest();
      counted.assertExpected(options, sha256);
      const uploaded = await this.client.putObject(
        this.config.bucket,
        key,
        createReadStream(spool),
        counted.size,
        {
          'Content-Type': options.contentType,
          ...(this.config.serverSideEncryption && { 'X-Amz-Server-Side-Encryption': 'AES256' }),
        },
      );
      return { key, size: counted.size, sha256, etag: `"${uploaded.etag}"` };
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
          this.config.bucket,
          key,
          served.start,
          served.end - served.start + 1,
        )
      : await this.client.getObject(this.config.bucket, key);
    return { ...found, body, range: served };
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertValidKey(key);
    try {
      const item = await this.client.statObject(this.config.bucket, key);
      return {
        key,
        size: item.size,
        contentType: String(item.metaData['content-type'] ?? 'application/octet-stream'),
        etag: `"${item.etag}"`,
        lastModified: item.lastModified,
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.removeObject(this.config.bucket, key);
  }

  async list(prefix: string): Promise<ObjectSummary[]> {
    const found: ObjectSummary[] = [];
    for await (const item of this.client.listObjectsV2(this.config.bucket, prefix, true)) {
      if (item.name) {
        found.push({
          key: item.name,
          size: item.size,
          etag: `"${item.etag}"`,
          lastModified: item.lastModified,
        });
      }
    }
    return found;
  }

  async signedPutUrl(key: string, options: SignedPutOptions): Promise<SignedUrl> {
    assertValidKey(key);
    const url = await this.signingClient.presignedPutObject(
      this.config.bucket,
      key,
      options.expiresInS,
    );
    return {
      url,
      method: 'PUT',
      headers: { 'Content-Type': options.contentType },
      expiresAt: new Date(Date.now() + options.expiresInS * 1000),
    };
  }

  async signedGetUrl(
    key: string,
    options: { expiresInS: number; responseContentType?: string },
  ): Promise<SignedUrl> {
    assertValidKey(key);
    const headers = options.responseContentType
      ? { 'response-content-type': options.responseContentType }
      : undefined;
    const url = await this.signingClient.presignedGetObject(
      this.config.bucket,
      key,
      options.expiresInS,
      headers,
    );
    return {
      url,
      method: 'GET',
      headers: {},
      expiresAt: new Date(Date.now() + options.expiresInS * 1000),
    };
  }

  async ping(): Promise<void> {
    if (!(await this.client.bucketExists(this.config.bucket)))
      throw new Error(`Bucket ${this.config.bucket} is missing`);
  }
}

function clientFor(endpoint: string, config: S3Config): Client {
  const url = new URL(endpoint);
  const useSSL = url.protocol === 'https:';
  const client = new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    region: config.region,
    pathStyle: true,
    // An idle socket past the timeout fails the request instead of hanging it.
    transportAgent: new (useSSL ? HttpsAgent : HttpAgent)({
      keepAlive: true,
      timeout: REQUEST_TIMEOUT_MS,
    }),
  });
  return client;
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'NotFound' || code === 'NoSuchKey';
}
