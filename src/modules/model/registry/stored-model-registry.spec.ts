import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { graphHead } from '../../../../test/support/model-artifacts';
import { AppConfig } from '../../../config';
import { Broadcaster } from '../../broadcast/broadcaster';
import { InProcessBroadcaster } from '../../broadcast/in-process-broadcaster';
import {
  ModelRecord,
  ModelRepository,
  ModelVersionRecord,
  NewModel,
  NewModelVersion,
  RecordNotFoundError,
} from '../../persistence';
import { ObjectStorage } from '../../storage/object-storage';
import { ModelRegistry } from '../model-registry';
import { ModelRuntime } from '../runtime';
import { StoredModelRegistry } from './stored-model-registry';

/** Models and versions in memory: what the registry needs of the port. */
class FakeModels implements Partial<ModelRepository> {
  readonly models: ModelRecord[] = [];
  readonly versions: ModelVersionRecord[] = [];
  failNextVersion = false;

  async findModel(name: string) {
    return this.models.find((model) => model.name === name) ?? null;
  }

  async createModel({ name, task, description }: NewModel) {
    const model = {
      id: randomUUID(),
      name,
      task,
      description: description ?? null,
      kind: null,
      trainingLabels: [],
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    this.models.push(model);
    return model;
  }

  async createVersion(modelName: string, { artifactKey, labels, metrics }: NewModelVersion) {
    if (this.failNextVersion) throw new Error('database went away');
    const model = (await this.findModel(modelName))!;
    const version: ModelVersionRecord = {
      id: randomUUID(),
      modelId: model.id,
      modelName,
      version: this.versions.filter((v) => v.modelName === modelName).length + 1,
      status: 'staged',
      artifactKey,
      labels: labels ?? [],
      metrics: metrics ?? null,
      createdAt: new Date(),
      promotedAt: null,
      archivedAt: null,
    };
    this.versions.push(version);
    return version;
  }

  async promote(modelName: string, version: number) {
    const found = this.versions.find((v) => v.modelName === modelName && v.version === version);
    if (!found) throw new RecordNotFoundError('model version', `${modelName}@${version}`);
    found.status = 'production';
    return { promoted: found, archived: null };
  }
}

/** Object storage in a map: the bytes each key holds. */
class FakeStorage implements Partial<ObjectStorage> {
  readonly objects = new Map<string, Buffer>();

  async put(key: string, body: Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    this.objects.set(key, Buffer.concat(chunks));
    return { key, size: this.objects.get(key)!.length, sha256: '', etag: '' };
  }

  async delete(key: string) {
    this.objects.delete(key);
  }
}

describe('StoredModelRegistry', () => {
  const labels = ['cat', 'dog'];
  const files = graphHead(
    { kernel: new Float32Array(1280 * 2).fill(0.01), bias: new Float32Array(2) },
    labels,
  );
  let models: FakeModels;
  let storage: FakeStorage;
  let broadcaster: InProcessBroadcaster;
  let checkHead: jest.Mock;
  let registry: ModelRegistry;

  beforeEach(async () => {
    models = new FakeModels();
    storage = new FakeStorage();
    broadcaster = new InProcessBroadcaster();
    checkHead = jest.fn().mockResolvedValue({ probeMs: 12.3456 });
    const moduleRef = await Test.createTestingModule({
      providers: [
        { provide: ModelRegistry, useClass: StoredModelRegistry },
        { provide: ModelRepository, useValue: models },
        { provide: ObjectStorage, useValue: storage },
        { provide: Broadcaster, useValue: broadcaster },
        { provide: ModelRuntime, useValue: { checkHead } },
        { provide: AppConfig, useValue: AppConfig.fromEnv({ MODEL_HEAD_MAX_PARAMS: '5000' }) },
      ],
    }).compile();
    registry = moduleRef.get(ModelRegistry);
  });

  it('stores a checked head under its own prefix, then the model and its version', async () => {
    const version = await registry.addVersion('pets', { files, description: 'cats or dogs' });
    expect(checkHead).toHaveBeenCalledWith(expect.anything(), labels.length);
    expect(version).toMatchObject({
      modelName: 'pets',
      version: 1,
      labels,
      metrics: { parameterCount: 1280 * 2 + 2, probeMs: 12.35 },
    });
    const prefix = version.artifactKey.replace(/model\.json$/, '');
    expect([...storage.objects.keys()].sort()).toEqual(files.map((f) => prefix + f.name).sort());
    expect(models.models).toEqual([expect.objectContaining({ description: 'cats or dogs' })]);
  });

  it('refuses a head over MODEL_HEAD_MAX_PARAMS with 422 before the runtime or storage', async () => {
    const large = graphHead({ kernel: new Float32Array(1280 * 4), bias: new Float32Array(4) });
    await expect(
      registry.addVersion('pets', { files: large, labels: ['a', 'b', 'c', 'd'] }),
    ).rejects.toMatchObject({ code: 'model_too_large', status: 422 });
    expect(checkHead).not.toHaveBeenCalled();
    expect(storage.objects.size).toBe(0);
  });

  it('removes the stored files when the version cannot be recorded', async () => {
    models.failNextVersion = true;
    await expect(registry.addVersion('pets', { files })).rejects.toThrow('database went away');
    expect(storage.objects.size).toBe(0);
  });

  it('refuses the bundled backbone name and names that are no model name', async () => {
    await expect(registry.addVersion('moderation', { files })).rejects.toMatchObject({
      code: 'bundled_model',
    });
    await expect(registry.addVersion('Not A Name', { files })).rejects.toMatchObject({
      code: 'invalid_model_name',
      status: 400,
    });
  });

  it('promotes a version and tells every replica; an unknown one is a 404', async () => {
    await registry.addVersion('pets', { files });
    const announced = new Promise((resolve) => broadcaster.subscribe('model-promoted', resolve));
    await registry.promote('pets', 1);
    expect(await announced).toEqual({ model: 'pets', version: 1 });
    await expect(registry.promote('pets', 7)).rejects.toMatchObject({
      code: 'model_version_not_found',
    });
    await expect(registry.promote('nope', 1)).rejects.toMatchObject({ code: 'model_not_found' });
  });
});
