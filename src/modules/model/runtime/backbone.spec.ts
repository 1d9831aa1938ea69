import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { testImages } from '../../../../test/support/images';
import { Backbone, concatPixels, ImageOutput, splitBackboneOutput, TfjsBackbone } from './backbone';
import {
  EMBEDDING_SIZE,
  INPUT_SIZE,
  MODERATION_LABELS,
  PIXELS_PER_IMAGE,
} from './bundled-mobilenet';
import { preprocessImage } from './image-preprocessor';

const label = (name: (typeof MODERATION_LABELS)[number]) => MODERATION_LABELS.indexOf(name);

/** A flat cartoon: a smiling sun, outlined, on white; `shift` moves it a little. */
function cartoon(shift = 0): Promise<Buffer> {
  const x = 160 + shift;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240">
    <rect width="320" height="240" fill="#fff"/>
    <circle cx="${x}" cy="120" r="80" fill="#ffd400" stroke="#000" stroke-width="6"/>
    <circle cx="${x - 25}" cy="100" r="10"/><circle cx="${x + 25}" cy="100" r="10"/>
    <path d="M${x - 40} 145 Q${x} 185 ${x + 40} 145" stroke="#000" stroke-width="6" fill="none"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  return dot / Math.sqrt(normA * normB);
}

const unsafe = (scores: Float32Array) =>
  scores[label('Hentai')] + scores[label('Porn')] + scores[label('Sexy')];

describe('TfjsBackbone (bundled MobileNetV2, in process)', () => {
  let backbone: Backbone;
  const predict = async (image: Buffer): Promise<ImageOutput> =>
    splitBackboneOutput(await backbone.run(await preprocessImage(image), 1))[0];

  beforeAll(async () => {
    backbone = await TfjsBackbone.load('auto');
  });

  afterAll(() => backbone.dispose());

  it('gives the same probabilities, summing to 1, and embedding for the same image', async () => {
    const image = await testImages.jpeg(120, 90, '#4080c0');

    const first = await predict(image);
    const second = await predict(image);

    expect(first.scores).toHaveLength(MODERATION_LABELS.length);
    expect(first.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(first.scores.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(first.embedding).toHaveLength(EMBEDDING_SIZE);
    expect(first.embedding.every(Number.isFinite)).toBe(true);
    expect(second).toEqual(first);
  });

  it('is the real model: a flat cartoon is all Drawing/Neutral, noise is less so', async () => {
    const drawing = await predict(await cartoon());
    const noise = await predict(await testImages.noiseJpeg(40_000));
    const safe = (s: Float32Array) => s[label('Drawing')] + s[label('Neutral')];

    expect(safe(drawing.scores)).toBeGreaterThan(0.99);
    expect(safe(drawing.scores)).toBeGreaterThan(safe(noise.scores));
    expect(unsafe(drawing.scores)).toBeLessThan(unsafe(noise.scores) / 3);
  });

  it('embeds similar pictures close together and different ones apart', async () => {
    const [sun, movedSun, noise] = await Promise.all([
      cartoon(),
      cartoon(12),
      testImages.noiseJpeg(40_000),
    ]).then((images) => Promise.all(images.map(predict)));

    const similar = cosine(sun.embedding, movedSun.embedding);
    const different = cosine(sun.embedding, noise.embedding);

    expect(similar).toBeGreaterThan(0.95);
    expect(similar - different).toBeGreaterThan(0.1);
  });

  it('gives each image of a batch what it gets alone', async () => {
    const images = await Promise.all([cartoon(), testImages.noiseJpeg(20_000), testImages.png()]);
    const pixels = await Promise.all(images.map(preprocessImage));
    const alone = await Promise.all(images.map(predict));

    const batched = splitBackboneOutput(await backbone.run(concatPixels(pixels), pixels.length));

    batched.forEach((output, i) => {
      output.scores.forEach((p, j) => expect(p).toBeCloseTo(alone[i].scores[j], 4));
      expect(cosine(output.embedding, alone[i].embedding)).toBeGreaterThan(0.9999);
    });
  });

  it('refuses pixels that are not whole images', async () => {
    await expect(backbone.run(new Float32Array(PIXELS_PER_IMAGE + 1), 1)).rejects.toThrow(
      RangeError,
    );
  });

  it('leaves no tensor behind after a prediction', async () => {
    const pixels = await preprocessImage(await cartoon());
    const before = tf.memory();

    for (let i = 0; i < 20; i++) await backbone.run(pixels, 1);

    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});

describe('TfjsBackbone.run memory over 1,000 predictions', () => {
  /** The bundled model's inputs and outputs on a network small enough to run 1,000 times. */
  function smallTwoOutputModel(): tf.LayersModel {
    const input = tf.input({ shape: [INPUT_SIZE, INPUT_SIZE, 3] });
    const pooled = tf.layers.averagePooling2d({ poolSize: 32 }).apply(input);
    const flat = tf.layers.flatten().apply(pooled);
    const embedding = tf.layers.dense({ units: EMBEDDING_SIZE }).apply(flat) as tf.SymbolicTensor;
    const scores = tf.layers
      .dense({ units: MODERATION_LABELS.length, activation: 'softmax' })
      .apply(embedding) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: [scores, embedding] });
  }

  it('does not grow tf.memory()', async () => {
    const backbone = new TfjsBackbone({ runtime: 'tfjs', backend: 'wasm' }, smallTwoOutputModel());
    const pixels = new Float32Array(PIXELS_PER_IMAGE).fill(0.5);
    await backbone.run(pixels, 1);
    const before = tf.memory();

    for (let i = 0; i < 1000; i++) await backbone.run(pixels, 1);

    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    backbone.dispose();
  });
});
