import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { isDependencyOutage } from '../../common/http/dependency-outage';
import { AppConfig } from '../../config';
import { ImageRepository } from '../persistence';
import { ObjectStorage } from '../storage/object-storage';
import { UploadOutcome } from './duplicate-images';
import { originalKey } from './image-keys';
import { checkLabel, parseMetadataField } from './image-metadata';
import { ImageForm, receiveImageForm } from './multipart/image-form';
import { ProcessingEnqueuer } from './processing-enqueuer';
import { badUpload } from './upload-errors';

/**
 * `POST /v1/images`: the bytes stream from the form straight to their final key (nothing is
 * held whole in memory), then the row is written in one statement that also settles
 * deduplication per owner; a failure after the bytes are stored removes them again, unless
 * the database was unreachable (then the upload sweep does, once it is sure no row names them).
 */
@Injectable()
export class DirectUploadService {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: ObjectStorage,
    private readonly enqueuer: ProcessingEnqueuer,
    private readonly config: AppConfig,
  ) {}

  async upload(ownerId: string, request: FastifyRequest): Promise<UploadOutcome> {
    if (!request.isMultipart()) {
      throw badUpload('multipart_required', 'Send multipart/form-data with the image in "file"');
    }
    const id = randomUUID();
    const key = originalKey(ownerId, id);
    const maxBytes = this.config.http.maxUploadBytes;
    const discard = () => this.storage.delete(key);
    const form = await receiveImageForm(
      request,
      maxBytes,
      (body, contentType) => this.storage.put(key, body, { contentType, maxBytes }),
      discard,
    );
    try {
      return await this.register(ownerId, id, key, form);
    } catch (error) {
      // A database that went away may have committed the row before the answer was lost: the
      // bytes stay, and the upload sweep removes them later if no row names them.
      if (!isDependencyOutage(error)) await discard();
      throw error;
    }
  }

  private async register(
    ownerId: string,
    id: string,
    key: string,
    { image, fields }: ImageForm,
  ): Promise<UploadOutcome> {
    const label = fields.label === undefined ? undefined : checkLabel(fields.label);
    const metadata =
      fields.metadata === undefined ? undefined : parseMetadataField(fields.metadata);
    const { sha256, size } = image.stored;
    const outcome = await this.images.createUnlessDuplicate({
      id,
      ownerId,
      storageKey: key,
      status: 'uploaded',
      contentType: image.contentType,
      sizeBytes: size,
      sha256,
      originalName: image.filename,
      label,
      metadata,
    });
    if (outcome.duplicate) await this.storage.delete(key);
    else await this.enqueuer.enqueue(outcome.image);
    return outcome;
  }
}
