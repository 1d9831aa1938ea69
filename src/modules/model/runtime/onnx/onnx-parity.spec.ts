import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHAPES, testImages } from '../../../../../test/support/images';
import { concatPixels, TfjsBackbone } from '../backbone';
import { EMBEDDING_SIZE, PIXELS_PER_IMAGE } from '../bundled-mobilenet';
import { preprocessImage } from '../image-preprocessor';
import { InferencePool } from '../inference-pool';
import { bundledOnnxModel } from './bundled-onnx-model';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a).toHaveLength(b.length);
  return a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i])), 0);
}

/** Row-wise argmax of `count` rows. */
function argmax(values: Float32Array, count: number): number[] {
  const width = values.length / count;
  return Array.from({ length: count }, (_, row) => {
    const slice = Array.from(values.subarray(row * width, (row + 1) * width));
    return slice.indexOf(Math.max(...slice));
  });
}

/** Every shape at `variants` places and sizes, with its class index. */
async function shapeImages(variants: number[]) {
  const examples = SHAPES.flatMap((shape, label) => variants.map((v) => ({ shape, v, label })));
  const pixels = await Promise.all(
    examples.map(async ({ shape, v }) => preprocessImage(await testImages.shape(shape, v))),
  );
  return { pixels: concatPixels(pixels), labels: examples.map((e) => e.label) };
}

/**
 * The ONNX side runs in an inference thread, as in production (ONNX Runtime checks its inputs
 * with `instanceof Float32Array`, which jest's sandboxed globals fail in process).
 */
describe('The bundled model converted to ONNX, against TF.js', () => {
  let dir: string;
  let onnx: InferencePool;
  let tfjs: TfjsBackbone;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vireo-onnx-'));
    const { bytes } = await bundledOnnxModel(dir);
    [onnx, tfjs] = await Promise.all([
      InferencePool.start({ threads: 1, runtime: 'onnx', backend: 'wasm', onnxModel: bytes }),
      TfjsBackbone.load('wasm'),
    ]);
  });

  afterAll(async () => {
    await onnx.close();
    tfjs.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same softmax (< 1e-4) and embedding (< 1e-3) on the same inputs', async () => {
    const images = await Promise.all([
      testImages.cartoon(),
      testImages.jpeg(),
      testImages.noiseJpeg(20_000),
      testImages.exifRotatedJpeg(),
      testImages.shape('triangle', 3),
    ]);
    const pixels = concatPixels(await Promise.all(images.map(preprocessImage)));
    const count = images.length;

    const [fromOnnx, fromTfjs] = await Promise.all([
      onnx.run(pixels.slice(), count),
      tfjs.run(pixels.slice(), count),
    ]);

    expect(onnx.engine).toEqual({ runtime: 'onnx', backend: 'cpu' });
    expect(fromOnnx.embeddings).toHaveLength(count * EMBEDDING_SIZE);
    expect(maxAbsDiff(fromOnnx.scores, fromTfjs.scores)).toBeLessThan(1e-4);
    expect(maxAbsDiff(fromOnnx.embeddings, fromTfjs.embeddings)).toBeLessThan(1e-3);
  });

  it('keeps the accuracy of a head trained on TF.js embeddings', async () => {
    const train = await shapeImages([0, 1, 2, 3, 4, 5]);
    const test = await shapeImages([10, 11, 12, 13, 14]);
    const trainEmbeddings = (await tfjs.run(train.pixels, train.labels.length)).embeddings;
    const head = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [EMBEDDING_SIZE], units: 3, activation: 'softmax' })],
    });
    head.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const x = tf.tensor2d(trainEmbeddings, [train.labels.length, EMBEDDING_SIZE]);
    const y = tf.oneHot(train.labels, 3);
    await head.fit(x, y, { epochs: 60, batchSize: train.labels.length, verbose: 0 });
    const predict = (embeddings: Float32Array) =>
      tf.tidy(() => {
        const input = tf.tensor2d(embeddings, [test.labels.length, EMBEDDING_SIZE]);
        const scores = (head.predict(input) as tf.Tensor).dataSync() as Float32Array;
        return argmax(scores, test.labels.length);
      });

    const [onTfjs, onOnnx] = await Promise.all([
      tfjs.run(test.pixels.slice(), test.labels.length),
      onnx.run(test.pixels.slice(), test.labels.length),
    ]);
    const accuracy = (predicted: number[]) =>
      predicted.filter((label, i) => label === test.labels[i]).length / test.labels.length;

    const tfjsPredictions = predict(onTfjs.embeddings);
    const onnxPredictions = predict(onOnnx.embeddings);
    expect(accuracy(tfjsPredictions)).toBeGreaterThan(0.9);
    expect(accuracy(onnxPredictions)).toBe(accuracy(tfjsPredictions));
    expect(onnxPredictions).toEqual(tfjsPredictions);
    tf.dispose([x, y]);
    head.dispose();
  });

  it('finishes the calls in flight when closed (terminating a run aborts the process)', async () => {
    const pixels = new Float32Array(4 * PIXELS_PER_IMAGE);
    const calls = Array.from({ length: 4 }, () => onnx.run(pixels.slice(), 4));
    await new Promise((resolve) => setTimeout(resolve, 20));

    await onnx.close();

    const outputs = await Promise.all(calls);
    expect(outputs.map((output) => output.count)).toEqual([4, 4, 4, 4]);
    expect(onnx.size).toBe(0);
  });
});
