import * as tf from '@tensorflow/tfjs';
import { artifactFiles, denseHead } from '../../../../test/support/model-artifacts';
import type { ModelVersionRecord } from '../../persistence';
import { HeadModel } from '../head-model';
import { checkArtifactFiles } from '../registry/artifact-files';
import { EMBEDDING_SIZE, initTfBackend } from '../runtime';
import { LoadedModel } from './loaded-model';

const record = { id: 'v1', modelName: 'shapes', version: 1 } as ModelVersionRecord;

let artifacts: tf.io.ModelArtifacts;

const loadedHead = async () => new LoadedModel(record, await HeadModel.load(artifacts, 3), 0);

describe('LoadedModel', () => {
  beforeAll(async () => {
    await initTfBackend('cpu');
    const source = denseHead(EMBEDDING_SIZE, 3);
    ({ artifacts } = checkArtifactFiles(await artifactFiles(source)));
    source.dispose();
  });

  it('keeps a retired head running until the last call using it releases it', async () => {
    const before = tf.memory().numTensors;
    const model = await loadedHead();
    const inFlight = model.acquire();

    model.retire();
    const scores = await inFlight.head!.run(new Float32Array(EMBEDDING_SIZE), 1);
    expect(Array.from(scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(tf.memory().numTensors).toBeGreaterThan(before);

    inFlight.release();
    expect(tf.memory().numTensors).toBe(before);
    model.retire();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees an unused head as soon as it is retired', async () => {
    const before = tf.memory().numTensors;
    const model = await loadedHead();
    model.acquire().release();
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    model.retire();
    expect(tf.memory().numTensors).toBe(before);
  });
});
