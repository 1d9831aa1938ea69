import { Test } from '@nestjs/testing';
import { Readable } from 'node:stream';
import { AppConfig } from '../../../config';
import { Broadcaster, BroadcastHandler } from '../../broadcast/broadcaster';
import { ReadinessRegistry } from '../../health/readiness.registry';
import { ModelRepository, ModelVersionRecord } from '../../persistence';
import { ObjectRead, ObjectStorage } from '../../storage/object-storage';
import { BACKBONE_NAME, BUNDLED_ARTIFACT_KEY } from '../registry/bundled-model';
import { EMBEDDING_SIZE, ImageAnalysis, ModelRuntime, RuntimeHead } from '../runtime';
import { TfjsModelServer } from './tfjs-model-server';

function version(
  modelName: string,
  n: number,
  fields: Partial<ModelVersionRecord> = {},
): ModelVersionRecord {
  return {
    id: `${modelName}@${n}`,
    modelName,
    version: n,
    status: 'production',
    artifactKey: `models/${modelName}/${n}/model.json`,
    labels: ['circle', 'square'],
    promotedAt: new Date(n * 1000),
    ...fields,
  } as ModelVersionRecord;
}

const backbone = version('moderation', 1, { artifactKey: BUNDLED_ARTIFACT_KEY });

/** The versions in a list; production is the newest promoted one. */
class FakeModels implements Partial<ModelRepository> {
  constructor(readonly versions: ModelVersionRecord[]) {}

  async listProduction(): Promise<ModelVersionRecord[]> {
    const names = new Set(this.versions.map((v) => v.modelName));
    return [...names].flatMap((name) => {
      const found = this.versions.find((v) => v.modelName === name && v.status === 'production');
      return found ? [found] : [];
    });
  }

  async findProduction(name: string): Promise<ModelVersionRecord | null> {
    return (await this.listProduction()).find((v) => v.modelName === name) ?? null;
  }

  async findVersion(name: string, n: number): Promise<ModelVersionRecord | null> {
    return this.versions.find((v) => v.modelName === name && v.version === n) ?? null;
  }

  async findModel(name: string): Promise<never | null> {
    return this.versions.some((v) => v.modelName === name) ? ({ name } as never) : null;
  }

  promoteTo(record: ModelVersionRecord): void {
    for (const v of this.versions) if (v.modelName === record.modelName) v.status = 'archived';
    this.versions.push(record);
  }
}

/** Each head artifact's model.json names its version, so the fake runtime knows what it loaded. */
class FakeStorage implements Partial<ObjectStorage> {
  async get(key: string): Promise<ObjectRead> {
    const json = JSON.stringify({ modelTopology: { artifact: key }, format: 'layers-model' });
    return { body: Readable.from([Buffer.from(json)]) } as ObjectRead;
  }
}

/** A head scoring every row with fixed scores; `disposed` resolves when it is freed. */
interface FakeHead extends RuntimeHead {
  artifact: string;
  disposed: Promise<void>;
}

/** The runtime's threads stand-in: heads score per artifact, the backbone answers fixed values. */
class FakeRuntime implements Partial<ModelRuntime> {
  readonly engine = null;
  readonly heads: FakeHead[] = [];
  readonly analysis: ImageAnalysis = {
    embedding: new Float32Array(EMBEDDING_SIZE).fill(0.5),
    moderation: [
      { label: 'Neutral', score: 0.7 },
      { label: 'Drawing', score: 0.3 },
    ] as ImageAnalysis['moderation'],
  };

  embedAndModerate = jest.fn(async () => this.analysis);
  analyzePixels = jest.fn(async () => this.analysis);

  async loadHead(artifacts: { modelTopology?: unknown }): Promise<RuntimeHead> {
    const { artifact } = artifacts.modelTopology as { artifact: string };
    const squareWins = artifact.includes('/2/');
    let freed!: () => void;
    const head: FakeHead = {
      artifact,
      disposed: new Promise((resolve) => (freed = resolve)),
      run: async (_embeddings, count) =>
        Float32Array.from({ length: count * 2 }, (_, i) =>
          i % 2 === Number(squareWins) ? 0.9 : 0.1,
        ),
      dispose: async () => freed(),
    };
    this.heads.push(head);
    return head;
  }
}

describe('TfjsModelServer', () => {
  let models: FakeModels;
  let runtime: FakeRuntime;
  let promoted: BroadcastHandler<'model-promoted'>;
  let readiness: ReadinessRegistry;
  let server: TfjsModelServer;

  beforeEach(async () => {
    models = new FakeModels([backbone, version('shapes', 1)]);
    runtime = new FakeRuntime();
    readiness = new ReadinessRegistry();
    const broadcaster = {
      subscribe: (_channel: string, handler: BroadcastHandler<'model-promoted'>) => {
        promoted = handler;
        return () => {};
      },
    };
    const moduleRef = await Test.createTestingModule({
      providers: [
        TfjsModelServer,
        { provide: ModelRuntime, useValue: runtime },
        { provide: ModelRepository, useValue: models },
        { provide: ObjectStorage, useValue: new FakeStorage() },
        { provide: Broadcaster, useValue: broadcaster },
        { provide: ReadinessRegistry, useValue: readiness },
        { provide: AppConfig, useValue: AppConfig.fromEnv({ MODEL_PRELOAD: 'false' }) },
      ],
    }).compile();
    server = moduleRef.get(TfjsModelServer);
    server.onModuleInit();
  });

  afterEach(() => server.onApplicationShutdown());

  it('runs one backbone pass and every production model on its embedding, backbone first', async () => {
    const { embedding, predictions } = await server.analyze(Buffer.from('image'));

    expect(runtime.embedAndModerate).toHaveBeenCalledTimes(1);
    expect(embedding).toEqual({ model: BACKBONE_NAME, vector: runtime.analysis.embedding });
    expect(predictions.map(({ model, version, labels }) => ({ model, version, labels }))).toEqual([
      { model: 'moderation', version: 1, labels: runtime.analysis.moderation },
      {
        model: 'shapes',
        version: 1,
        labels: [
          { label: 'circle', score: expect.closeTo(0.9) },
          { label: 'square', score: expect.closeTo(0.1) },
        ],
      },
    ]);
    expect(runtime.heads.map((h) => h.artifact)).toEqual(['models/shapes/1/model.json']);
  });

  it('cuts predictions to top-k and answers one model when asked', async () => {
    const predictions = await server.predict(Buffer.from('image'), 1, 'shapes');
    expect(predictions).toEqual([
      { model: 'shapes', version: 1, labels: [{ label: 'circle', score: expect.closeTo(0.9) }] },
    ]);
  });

  it('tells an unknown model from an unknown version of a known one', async () => {
    await expect(server.predict(Buffer.from('x'), 1, 'nope')).rejects.toMatchObject({
      code: 'model_not_found',
    });
    await expect(server.infer('shapes', 9, { kind: 'images', images: [] })).rejects.toMatchObject({
      code: 'model_version_not_found',
    });
  });

  it('swaps in a promoted version after loading it and frees the one it replaces', async () => {
    await server.analyze(Buffer.from('image'));
    const [first] = runtime.heads;
    models.promoteTo(version('shapes', 2));

    promoted({ model: 'shapes', version: 2 });
    await first.disposed;

    const { predictions } = await server.analyze(Buffer.from('image'));
    expect(predictions[1]).toMatchObject({ model: 'shapes', version: 2 });
    expect(predictions[1].labels[0].label).toBe('square');
  });

  it('loads an archived version once for concurrent calls and answers its scores', async () => {
    models.promoteTo(version('shapes', 2));
    const embeddings = {
      kind: 'tensor' as const,
      shape: [1, EMBEDDING_SIZE],
      data: new Float32Array(EMBEDDING_SIZE),
    };

    const [a, b] = await Promise.all([
      server.infer('shapes', 1, embeddings),
      server.infer('shapes', 1, embeddings),
    ]);

    expect(runtime.heads.map((h) => h.artifact)).toEqual(['models/shapes/1/model.json']);
    expect(a).toEqual({ version: 1, scores: expect.any(Float32Array), shape: [1, 2] });
    expect([...a.scores].map((s) => s.toFixed(1))).toEqual(['0.9', '0.1']);
    expect(b).toEqual(a);
  });

  it('reports readiness: not loaded before the first call, then the production versions', async () => {
    const [[name, check]] = readiness.entries();
    const signal = new AbortController().signal;
    expect(name).toBe('models');
    await expect(check({ signal })).resolves.toEqual({ production: [], loaded: false });
    await server.analyze(Buffer.from('image'));
    await expect(check({ signal })).resolves.toMatchObject({
      production: ['moderation@1', 'shapes@1'],
    });
  });
});
