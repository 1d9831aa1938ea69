import { Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import {
  ImageRecord,
  ImageRepository,
  PredictionRepository,
  UserRepository,
  WebhookRepository,
} from '../../persistence';
import { ObjectStorage } from '../../storage/object-storage';

const PAGE = 100;

/**
 * A user's data as a ZIP, built while it streams (yazl; each original is opened only when its
 * turn comes): `account.json`, `webhooks.json` (no secrets), `labels.json`, and per image
 * `images/<id>.json` (the image, its label and predictions) and `originals/<id>` (its bytes).
 */
@Injectable()
export class AccountExportService {
  private readonly logger = new Logger(AccountExportService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly images: ImageRepository,
    private readonly predictions: PredictionRepository,
    private readonly webhooks: WebhookRepository,
    private readonly storage: ObjectStorage,
  ) {}

  export(ownerId: string): Readable {
    const zip = new ZipFile();
    // @types/yazl types the stream as NodeJS.ReadableStream; yazl hands out a PassThrough.
    const output = zip.outputStream as unknown as Readable;
    this.fill(zip, ownerId).catch((error: Error) => {
      this.logger.error(`Export of ${ownerId} failed: ${error.message}`);
      output.destroy(error);
    });
    return output;
  }

  private async fill(zip: ZipFile, ownerId: string): Promise<void> {
    const user = await this.users.findById(ownerId);
    addJson(zip, 'account.json', {
      id: ownerId,
      email: user?.email ?? null,
      displayName: user?.displayName ?? null,
      createdAt: user?.createdAt ?? null,
      exportedAt: new Date(),
    });
    const webhooks = await this.webhooks.listForOwner(ownerId);
    addJson(
      zip,
      'webhooks.json',
      webhooks.map(({ secret: _secret, ...webhook }) => webhook),
    );
    const labels: { imageId: string; label: string; labeledAt: Date | null }[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.images.findForOwner(ownerId, { limit: PAGE, cursor });
      for (const image of page.items) {
        if (image.label)
          labels.push({ imageId: image.id, label: image.label, labeledAt: image.labeledAt });
        await this.addImage(zip, image);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    addJson(zip, 'labels.json', labels);
    zip.end();
  }

  private async addImage(zip: ZipFile, image: ImageRecord): Promise<void> {
    const predictions = await this.predictions.listForImage(image.id);
    const hasOriginal = image.status !== 'pending' && !image.originalDeletedAt;
    addJson(zip, `images/${image.id}.json`, {
      ...image,
      predictions: predictions.map(
        ({ modelName, modelVersion, scores, topLabel, topScore, createdAt }) => ({
          model: modelName,
          version: modelVersion,
          label: topLabel,
          score: topScore,
          scores,
          createdAt,
        }),
      ),
      original: hasOriginal ? `originals/${image.id}` : null,
    });
    if (!hasOriginal) return;
    const stat = await this.storage.stat(image.storageKey);
    if (!stat) return;
    zip.addReadStreamLazy(`originals/${image.id}`, { size: stat.size, compress: false }, (done) => {
      this.storage.get(image.storageKey).then(
        (read) => done(null, read.body as unknown as NodeJS.ReadableStream),
        (error: Error) => done(error, undefined as unknown as NodeJS.ReadableStream),
      );
    });
  }
}

function addJson(zip: ZipFile, name: string, value: unknown): void {
  zip.addBuffer(Buffer.from(JSON.stringify(value, null, 2)), name);
}
