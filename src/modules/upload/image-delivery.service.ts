import { HttpStatus, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppError } from '../../common/app-error';
import { AppConfig } from '../../config';
import { ImageRecord } from '../persistence';
import { parseRangeHeader } from '../storage/byte-range';
import { ObjectStorage } from '../storage/object-storage';
import { replyWithObject, USER_CONTENT_POLICY } from '../storage/object-response';
import { ImageCatalogService } from './image-catalog.service';
import { assertReleasable } from '../../common/images/quarantine';
import { DERIVATIVE_CONTENT_TYPE } from '../../common/images/derivative';

export type ImageVariant = 'original' | 'thumbnail';

export interface DeliveryRequest {
  inline: boolean;
  /** The caller holds the admin scope (sees quarantined images). */
  admin: boolean;
  range?: string;
  ifNoneMatch?: string;
}

/** The bytes behind an image id never change, so caches may keep them. */
const IMMUTABLE = 'private, max-age=31536000, immutable';

/**
 * Serves an image's original or thumbnail: a 302 to a short-lived signed URL (the bytes do not
 * pass through the web tier), or streamed inline with ETag, Range and conditional requests.
 */
@Injectable()
export class ImageDeliveryService {
  constructor(
    private readonly catalog: ImageCatalogService,
    private readonly storage: ObjectStorage,
    private readonly config: AppConfig,
  ) {}

  async deliver(
    ownerId: string,
    id: string,
    variant: ImageVariant,
    request: DeliveryRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const image = await this.catalog.get(ownerId, id);
    assertReleasable(image, request.admin);
    const { key, contentType } = objectOf(image, variant);
    // A quarantined image's bytes never leave as a link that could be passed on.
    if (!request.inline && !image.quarantined) {
      const signed = await this.storage.signedGetUrl(key, {
        expiresInS: this.config.uploads.downloadUrlTtlS,
        responseContentType: contentType,
      });
      await reply.header('Cache-Control', 'private, no-store').redirect(signed.url, 302);
      return;
    }
    const found = await this.storage.stat(key);
    if (!found) throw notAvailable(variant);
    if (request.ifNoneMatch !== undefined && request.ifNoneMatch === found.etag) {
      await reply
        .status(304)
        .header('ETag', found.etag)
        .header('Cache-Control', IMMUTABLE)
        .header('Content-Security-Policy', USER_CONTENT_POLICY)
        .send();
      return;
    }
    const read = await this.storage.get(key, parseRangeHeader(request.range, found.size));
    await replyWithObject(reply, read, {
      contentType,
      cacheControl: IMMUTABLE,
      disposition: 'inline',
    });
  }
}

function objectOf(image: ImageRecord, variant: ImageVariant): { key: string; contentType: string } {
  if (variant === 'thumbnail') {
    if (!image.derivativeKey) throw notAvailable(variant);
    return { key: image.derivativeKey, contentType: DERIVATIVE_CONTENT_TYPE };
  }
  if (image.status === 'pending') throw notAvailable(variant);
  if (image.originalDeletedAt) {
    throw new AppError(
      HttpStatus.GONE,
      'original_deleted',
      'The original was removed by retention',
    );
  }
  return { key: image.storageKey, contentType: image.contentType ?? 'application/octet-stream' };
}

function notAvailable(variant: ImageVariant): AppError {
  return new AppError(
    HttpStatus.NOT_FOUND,
    `${variant}_not_available`,
    variant === 'thumbnail'
      ? 'The thumbnail is made when the image is processed; it is not there yet'
      : 'The image has no bytes yet; complete its upload first',
  );
}
