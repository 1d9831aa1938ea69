import * as tf from '@tensorflow/tfjs';
import { initTfBackend } from './backend';
import { foldBatchNorms } from './fold-batch-norms';

/**
 * input -> conv (no bias) -> BN -> relu6 -> depthwise (x2, with bias) -> BN -> [BN-folded]
 *       -> conv -> (BN, and also an add that reads the conv directly: not foldable)
 * Batch norms get random statistics, so folding them wrongly shows in the outputs.
 */
function modelWithBatchNorms(): tf.LayersModel {
  const input = tf.input({ shape: [12, 12, 3] });
  const norm = () => tf.layers.batchNormalization({ epsilon: 0.001 });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, useBias: false }).apply(input);
  x = norm().apply(x);
  x = tf.layers.reLU({ maxValue: 6 }).apply(x);
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }).apply(x);
  x = norm().apply(x) as tf.SymbolicTensor;
  const shared = tf.layers.conv2d({ filters: 8, kernelSize: 1 }).apply(x) as tf.SymbolicTensor;
  const normed = norm().apply(shared) as tf.SymbolicTensor;
  const out = tf.layers.add().apply([normed, shared]) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const channels = layer.getWeights()[0].shape[0];
    const random = (min: number, max: number) =>
      tf.randomUniform([channels], min, max, 'float32', 7);
    const statistics = [random(0.5, 2), random(-1, 1), random(-0.5, 0.5), random(0.2, 3)];
    layer.setWeights(statistics);
    tf.dispose(statistics);
  }
  return model;
}

const countOf = (model: tf.LayersModel, className: string) =>
  model.layers.filter((layer) => layer.getClassName() === className).length;

describe('foldBatchNorms', () => {
  beforeAll(() => initTfBackend('cpu'));

  it('folds the batch norms that alone follow a convolution, and computes the same', async () => {
    const original = modelWithBatchNorms();
    const input = tf.randomUniform([2, 12, 12, 3], 0, 1, 'float32', 3);
    const expected = (original.predict(input) as tf.Tensor).arraySync() as number[];

    const folded = await foldBatchNorms(original);
    const actual = (folded.predict(input) as tf.Tensor).arraySync() as number[];

    expect(countOf(folded, 'BatchNormalization')).toBe(1);
    expect(tf.max(tf.abs(tf.sub(actual, expected))).arraySync()).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(tf.tensor(expected))).arraySync()).toBeGreaterThan(0.1);
  });

  it('leaves nothing behind: the folded model owns every weight it kept', async () => {
    const before = tf.memory().numTensors;

    const folded = await foldBatchNorms(modelWithBatchNorms());
    folded.dispose();

    expect(tf.memory().numTensors).toBe(before);
  });
});
