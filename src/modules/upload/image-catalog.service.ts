import { Injectable } from '@nestjs/common';
import { ImageRecord, ImageRepository, Page } from '../persistence';
import { ObjectStorage } from '../storage/object-storage';
import { ListImagesQuery } from './dto/list-images.query';
import { storedKeysOf } from './image-keys';
import { imageNotFound } from './upload-errors';

const DEFAULT_PAGE_SIZE = 20;

/** An owner's images: one, a filtered page, or removal with every stored byte. */
@Injectable()
export class ImageCatalogService {
  constructor(
    private readonly images: ImageRepository,
    private readonly storage: ObjectStorage,
  ) {}

  async get(ownerId: string, id: string): Promise<ImageRecord> {
    const image = await this.images.findByIdForOwner(id, ownerId);
    if (!image) throw imageNotFound();
    return image;
  }

  list(ownerId: string, query: ListImagesQuery): Promise<Page<ImageRecord>> {
    return this.images.findForOwner(ownerId, {
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      cursor: query.cursor,
      status: query.status,
      label: query.label,
      predictedLabel: query.predictedLabel,
      predictedMinScore: query.minScore,
      createdFrom: query.createdFrom,
      createdTo: query.createdTo,
    });
  }

  /**
   * Objects first, then the row (its predictions and embeddings go with it): a failure
   * half-way leaves a row to retry the delete with, never bytes nobody knows about.
   */
  async delete(ownerId: string, id: string): Promise<void> {
    const image = await this.get(ownerId, id);
    await Promise.all(storedKeysOf(image).map((key) => this.storage.delete(key)));
    if (!(await this.images.delete(id, ownerId))) throw imageNotFound();
  }
}
