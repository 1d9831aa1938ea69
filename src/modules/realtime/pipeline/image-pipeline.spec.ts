import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { testImages } from '../../../../test/support/images';
import { AppConfig } from '../../../config';
import { ImageModelAnalysis, ModelServer } from '../../model';
import {
  ImageProcessingRepository,
  ImageRecord,
  ImageRepository,
  ProcessedImage,
  ProcessingResult,
} from '../../persistence';
import { Job } from '../../queue/job-queue';
import { ObjectNotFoundError, ObjectRead, ObjectStorage } from '../../storage/object-storage';
import { MetricsService } from '../../metrics/metrics.service';
import { ImageEvents } from '../events/image-events';
import { RealtimeMetrics } from '../realtime-metrics';
import { WebhookAnnouncer } from '../webhooks/webhook-announcer';
import { ImagePipeline } from './image-pipeline';
import { ModerationPolicy } from './moderation-policy';

/** Objects in a map. */
class FakeStorage implements Partial<ObjectStorage> {
  readonly objects = new Map<string, Buffer>();

  async get(key: string): Promise<ObjectRead> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new ObjectNotFoundError(key);
    return {
      key,
      size: bytes.length,
      etag: key,
      contentType: '',
      lastModified: new Date(),
      body: Readable.from([bytes]),
    };
  }

  async put(key: string, body: Readable): Promise<never> {
    this.objects.set(key, Buffer.concat(await body.toArray()));
    return undefined as never;
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

/** One image's status moves as the real transactions move it: each step only from its status. */
class FakeProcessing implements Partial<ImageProcessingRepository> {
  readonly stored: ProcessedImage[] = [];
  constructor(readonly image: ImageRecord) {}

  async claim(imageId: string): Promise<ImageRecord | null> {
    if (imageId !== this.image.id || this.image.status === 'processed') return null;
    this.image.status = 'processing';
    return { ...this.image };
  }

  async complete(imageId: string, result: ProcessedImage): Promise<ProcessingResult | null> {
    if (imageId !== this.image.id || this.image.status !== 'processing') return null;
    Object.assign(this.image, { status: 'processed', quarantined: result.quarantined });
    this.stored.push(result);
    return { image: { ...this.image }, predictions: [], latencyMs: 5 };
  }

  async fail(imageId: string, code: string): Promise<ImageRecord | null> {
    if (imageId !== this.image.id || this.image.status !== 'processing') return null;
    Object.assign(this.image, { status: 'failed', failureCode: code });
    return { ...this.image };
  }
}

const analysis: ImageModelAnalysis = {
  embedding: { model: 'mobilenet', vector: new Float32Array([0.1, 0.2]) },
  predictions: [
    {
      model: 'moderation',
      version: 1,
      versionId: 'moderation-v1',
      latencyMs: 3,
      labels: [
        { label: 'Porn', score: 0.9 },
        { label: 'Neutral', score: 0.1 },
      ],
    },
  ],
};

describe('ImagePipeline', () => {
  let image: ImageRecord;
  let storage: FakeStorage;
  let processing: FakeProcessing;
  let analyzePixels: jest.Mock;
  let announce: jest.Mock;
  let pipeline: ImagePipeline;
  let metrics: RealtimeMetrics;

  beforeEach(async () => {
    const ownerId = randomUUID();
    const id = randomUUID();
    image = {
      id,
      ownerId,
      status: 'uploaded',
      storageKey: `originals/${ownerId}/${id}`,
      createdAt: new Date(),
      uploadedAt: new Date(),
    } as ImageRecord;
    storage = new FakeStorage();
    storage.objects.set(image.storageKey, await testImages.png(40, 30));
    processing = new FakeProcessing(image);
    analyzePixels = jest.fn().mockResolvedValue(analysis);
    announce = jest.fn().mockResolvedValue(undefined);
    const moduleRef = await Test.createTestingModule({
      providers: [
        ImagePipeline,
        ModerationPolicy,
        RealtimeMetrics,
        { provide: MetricsService, useValue: { registry: new Registry() } },
        { provide: ImageProcessingRepository, useValue: processing },
        { provide: ImageRepository, useValue: { findById: async () => null } },
        { provide: ObjectStorage, useValue: storage },
        {
          provide: ImageEvents,
          useValue: { status: jest.fn(), processed: jest.fn().mockResolvedValue(undefined) },
        },
        { provide: WebhookAnnouncer, useValue: { announce } },
        { provide: ModelServer, useValue: { analyzePixels } },
        {
          provide: AppConfig,
          useValue: AppConfig.fromEnv({ MODERATION_QUARANTINE: 'Porn:0.8', QUEUE_ATTEMPTS: '2' }),
        },
      ],
    }).compile();
    pipeline = moduleRef.get(ImagePipeline);
    metrics = moduleRef.get(RealtimeMetrics);
  });

  const job = (attempt = 1): Job<'process-image'> => ({
    id: 'j',
    payload: { imageId: image.id, ownerId: image.ownerId },
    attempt,
  });

  async function jobsCounted(outcome: string): Promise<number> {
    const { values } = await metrics.jobs.get();
    return values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  }

  it('decodes once, stores the derivative and the analysis, quarantines by policy and announces', async () => {
    await pipeline.process(job());

    expect(analyzePixels).toHaveBeenCalledTimes(1);
    const [stored] = processing.stored;
    expect(stored).toMatchObject({ width: 40, height: 30, quarantined: true });
    expect(stored.predictions).toEqual([
      {
        modelName: 'moderation',
        modelVersionId: 'moderation-v1',
        scores: analysis.predictions[0].labels,
        latencyMs: 3,
      },
    ]);
    expect(storage.objects.has(stored.derivativeKey)).toBe(true);
    expect(announce.mock.calls.map(([, type]) => type)).toEqual([
      'image.processed',
      'image.quarantined',
    ]);
    expect(await jobsCounted('processed')).toBe(1);
  });

  it('leaves an image past processing alone, so a duplicate job stores nothing twice', async () => {
    await pipeline.process(job());
    await pipeline.process(job());

    expect(processing.stored).toHaveLength(1);
    expect(analyzePixels).toHaveBeenCalledTimes(1);
    expect(await jobsCounted('skipped')).toBe(1);
  });

  it('fails an image whose bytes are no image, without asking the model', async () => {
    storage.objects.set(image.storageKey, Buffer.from('not an image at all'));

    await pipeline.process(job());

    expect(image).toMatchObject({ status: 'failed' });
    expect(analyzePixels).not.toHaveBeenCalled();
    expect(announce.mock.calls.map(([, type]) => type)).toEqual(['image.failed']);
  });

  it('fails an image whose original is gone', async () => {
    storage.objects.clear();
    await pipeline.process(job());
    expect(image).toMatchObject({ status: 'failed', failureCode: 'original_missing' });
  });

  it('rethrows a model error for a retry, and fails the image on the last attempt', async () => {
    analyzePixels.mockRejectedValue(new Error('model down'));

    await expect(pipeline.process(job(1))).rejects.toThrow('model down');
    expect(image.status).toBe('processing');
    expect(await jobsCounted('retried')).toBe(1);

    await expect(pipeline.process(job(2))).rejects.toThrow('model down');
    expect(image).toMatchObject({ status: 'failed', failureCode: 'processing_error' });
  });

  it('leaves an image processing after the last attempt when its store was unreachable, for the reconciler', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), {
      code: 'ECONNREFUSED',
    });
    jest.spyOn(storage, 'get').mockRejectedValue(refused);

    await expect(pipeline.process(job(2))).rejects.toThrow('ECONNREFUSED');

    expect(image.status).toBe('processing');
    expect(announce).not.toHaveBeenCalled();
  });
});
