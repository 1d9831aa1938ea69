import * as tf from '@tensorflow/tfjs';
import { artifactFiles, denseHead } from '../../../../test/support/model-artifacts';
import { checkArtifactFiles } from '../registry/artifact-files';
import { initTfBackend } from './backend';
import { EMBEDDING_SIZE } from './bundled-mobilenet';
import { HeadModel } from './head-model';

async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  const { artifacts } = checkArtifactFiles(await artifactFiles(model));
  model.dispose();
  return artifacts;
}

describe('HeadModel (as an inference thread runs it)', () => {
  beforeAll(() => initTfBackend('cpu'));

  it('frees every tensor over 1,000 calls of 1 to 300 rows', async () => {
    const head = await HeadModel.load(await artifactsOf(denseHead(EMBEDDING_SIZE, 3, 8)), 3);
    const before = tf.memory().numTensors;

    for (let i = 0; i < 1000; i++) {
      const rows = i % 100 === 0 ? 300 : 1 + (i % 4);
      expect(head.run(new Float32Array(rows * EMBEDDING_SIZE), rows)).toHaveLength(rows * 3);
    }

    expect(tf.memory().numTensors).toBe(before);
    expect(head.probeMs).toBeGreaterThan(0);
    head.dispose();
  });

  it('refuses a head whose scores are not finite (huge weights overflow)', async () => {
    const model = denseHead(EMBEDDING_SIZE, 3);
    model.layers[0].setWeights([tf.fill([EMBEDDING_SIZE, 3], 3e38), tf.zeros([3])]);
    const artifacts = await artifactsOf(model);
    const before = tf.memory().numTensors;

    await expect(HeadModel.load(artifacts, 3)).rejects.toMatchObject({ code: 'non_finite_model' });
    expect(tf.memory().numTensors).toBe(before);
  });
});
