import { Controller, Get, Headers, HttpStatus, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AppError } from '../../common/app-error';
import { Public } from '../../common/http/public.decorator';
import { imageQuarantined } from '../../common/images/quarantine';
import { AppConfig } from '../../config';
import { ImageRepository } from '../persistence';
import { parseRangeHeader } from './byte-range';
import { SIGNED_OBJECTS_PATH } from './local-disk.storage';
import { ObjectStorage } from './object-storage';
import { replyWithObject } from './object-response';
import { SignedPutAdmission } from './signed-put-admission';
import { SignedRequest, UrlSigner } from './url-signer';

interface SignedQuery {
  exp?: string;
  ct?: string;
  len?: string;
  sig?: string;
}

/**
 * The signed URLs of the local-disk adapter: the signature is the credential. Answers 403
 * `signed_url_expired` or `signed_url_invalid` (tampered, or used with another type or size).
 * Upload bodies must reach the handler as a stream, which the app's body parsers do for
 * `image/*` and `application/octet-stream` (see common/http/binary-body.ts); other signed
 * types are answered 415.
 */
@ApiExcludeController()
@Public()
@Controller(SIGNED_OBJECTS_PATH)
export class SignedObjectController {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly signer: UrlSigner,
    private readonly admission: SignedPutAdmission,
    private readonly config: AppConfig,
    private readonly images: ImageRepository,
  ) {}

  @Get('*')
  async download(
    @Param('*') key: string | string[],
    @Query() query: SignedQuery,
    @Headers('range') range: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const objectKey = joinKey(key);
    this.verify(
      { method: 'GET', key: objectKey, expires: Number(query.exp), contentType: query.ct },
      query.sig,
    );
    // Links carry no caller: a quarantined image's bytes are withheld from every one of them.
    if (await this.images.isQuarantinedObject(objectKey)) throw imageQuarantined();
    const found = await this.storage.stat(objectKey);
    if (!found) throw notFound();
    const read = await this.storage.get(objectKey, parseRangeHeader(range, found.size));
    await replyWithObject(reply, read, {
      contentType: query.ct,
      cacheControl: 'private, max-age=60',
      disposition: 'attachment',
    });
  }

  @Put('*')
  async upload(
    @Param('*') key: string | string[],
    @Query() query: SignedQuery,
    @Req() request: FastifyRequest,
  ): Promise<{ size: number; sha256: string }> {
    const objectKey = joinKey(key);
    const contentLength = query.len === undefined ? undefined : Number(query.len);
    const signed: SignedRequest = {
      method: 'PUT',
      key: objectKey,
      expires: Number(query.exp),
      contentType: query.ct,
      contentLength,
    };
    this.verify(signed, query.sig);
    if (request.headers['content-type'] !== query.ct)
      throw invalid('the Content-Type differs from the signed one');
    const declared = Number(request.headers['content-length']);
    if (contentLength !== undefined && declared !== contentLength)
      throw invalid('the Content-Length differs from the signed one');
    if (!(await this.admission.admits(objectKey))) throw revoked();
    const stored = await this.storage.put(objectKey, bodyStream(request.body), {
      contentType: query.ct ?? 'application/octet-stream',
      maxBytes: contentLength ?? this.config.http.maxUploadBytes,
      expectedSize: contentLength,
    });
    return { size: stored.size, sha256: stored.sha256 };
  }

  private verify(request: SignedRequest, signature: string | undefined): void {
    const result =
      Number.isFinite(request.expires) && signature
        ? this.signer.check(request, signature)
        : 'invalid';
    if (result === 'expired') {
      throw new AppError(HttpStatus.FORBIDDEN, 'signed_url_expired', 'This signed URL has expired');
    }
    if (result === 'invalid') throw invalid('the signature does not match');
  }
}

function bodyStream(body: unknown): Readable {
  if (body === undefined) return Readable.from([]);
  if (body instanceof Readable) return body;
  throw new AppError(
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'unsupported_media_type',
    'Signed uploads take image/* or application/octet-stream bodies',
  );
}

function joinKey(key: string | string[]): string {
  return Array.isArray(key) ? key.join('/') : key;
}

function invalid(why: string): AppError {
  return new AppError(
    HttpStatus.FORBIDDEN,
    'signed_url_invalid',
    `This signed URL is not valid: ${why}`,
  );
}

function revoked(): AppError {
  return new AppError(
    HttpStatus.FORBIDDEN,
    'signed_url_revoked',
    'This upload link no longer takes bytes: its upload was completed or removed',
  );
}

function notFound(): AppError {
  return new AppError(HttpStatus.NOT_FOUND, 'object_not_found', 'No such object');
}
