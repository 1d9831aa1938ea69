import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config';
import { ImageRecord, ImageStatus, PredictionRecord, PredictionRepository } from '../persistence';
import { ImageResource, PredictionResource } from './dto/image.resource';

/** Statuses in which an image cannot have predictions yet. */
const BEFORE_PROCESSING = new Set<ImageStatus>(['pending', 'uploaded']);

/** Turns image rows into the API's image resource, with predictions and links. */
@Injectable()
export class ImagePresenter {
  constructor(
    private readonly predictions: PredictionRepository,
    private readonly config: AppConfig,
  ) {}

  async present(image: ImageRecord): Promise<ImageResource> {
    const predictions = BEFORE_PROCESSING.has(image.status)
      ? []
      : await this.predictions.listForImage(image.id);
    return this.toResource(image, predictions);
  }

  presentAll(images: ImageRecord[]): Promise<ImageResource[]> {
    return Promise.all(images.map((image) => this.present(image)));
  }

  imageUrl(id: string): string {
    return `${this.config.http.publicUrl}/v1/images/${id}`;
  }

  completeUrl(id: string): string {
    return `${this.config.http.publicUrl}/v1/uploads/${id}/complete`;
  }

  private toResource(image: ImageRecord, predictions: PredictionRecord[]): ImageResource {
    const self = this.imageUrl(image.id);
    return {
      id: image.id,
      status: image.status,
      contentType: image.contentType,
      size: image.sizeBytes,
      sha256: image.sha256,
      width: image.width,
      height: image.height,
      label: image.label,
      metadata: image.metadata,
      createdAt: image.createdAt,
      uploadedAt: image.uploadedAt,
      processedAt: image.processedAt,
      originalDeletedAt: image.originalDeletedAt,
      failureCode: image.failureCode,
      failureMessage: image.failureMessage,
      quarantined: image.quarantined,
      predictions: predictions.map(toPrediction),
      links: {
        self,
        content: `${self}/content`,
        thumbnail: image.derivativeKey ? `${self}/thumbnail` : null,
      },
    };
  }
}

function toPrediction(prediction: PredictionRecord): PredictionResource {
  return {
    model: prediction.modelName,
    version: prediction.modelVersion,
    label: prediction.topLabel,
    score: prediction.topScore,
    scores: prediction.scores,
    createdAt: prediction.createdAt,
  };
}
