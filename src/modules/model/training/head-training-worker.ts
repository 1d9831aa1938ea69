import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { initTfBackend } from '../runtime/backend';
import { EMBEDDING_SIZE } from '../runtime/bundled-mobilenet';
import {
  HEAD_WEIGHTS_FILE,
  HeadTrainingInput,
  HeadTrainingMessage,
} from './head-training-messages';

/**
 * The body of one head-training thread: a dense softmax layer on the embedding, fitted with
 * Adam and class weights, then scored on the validation rows. It posts each epoch's loss and
 * the artifact, then ends. TF.js training is synchronous work of seconds to minutes, which is
 * why it never runs on the event loop.
 */
async function train(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('head-training-worker runs only as a worker thread');
  const input = workerData as HeadTrainingInput;
  const post = (message: HeadTrainingMessage, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer);
  try {
    const backend = await initTfBackend(input.backend);
    const model = headModel(input);
    const lossPerEpoch: number[] = [];
    const [xs, ys] = examples(input, input.train);
    await model.fit(xs, ys, {
      epochs: input.epochs,
      batchSize: input.batchSize,
      shuffle: true,
      verbose: 0,
      classWeight: Object.fromEntries(input.classWeights.map((weight, c) => [c, weight])),
      callbacks: {
        onEpochEnd: (epoch, logs) => {
          const loss = Number(logs?.loss);
          lossPerEpoch.push(loss);
          post({ type: 'epoch', epoch, loss });
        },
      },
    });
    tf.dispose([xs, ys]);
    const validationScores = score(model, input);
    const { modelJson, weights } = await artifactOf(model, input.labels);
    model.dispose();
    post({ type: 'done', modelJson, weights, validationScores, lossPerEpoch, backend }, [
      modelJson.buffer,
      weights.buffer,
      validationScores.buffer,
    ] as ArrayBuffer[]);
  } catch (error) {
    post({ type: 'failed', message: (error as Error).message });
  }
}

function headModel(input: HeadTrainingInput): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [EMBEDDING_SIZE],
        units: input.labels.length,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: input.seed }),
      }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(input.learningRate), loss: 'categoricalCrossentropy' });
  return model;
}

/** The rows `indices` as [n, EMBEDDING_SIZE] features and one-hot [n, labels] targets. */
function examples(input: HeadTrainingInput, indices: number[]): [tf.Tensor2D, tf.Tensor2D] {
  const features = new Float32Array(indices.length * EMBEDDING_SIZE);
  indices.forEach((row, i) =>
    features.set(
      input.embeddings.subarray(row * EMBEDDING_SIZE, (row + 1) * EMBEDDING_SIZE),
      i * EMBEDDING_SIZE,
    ),
  );
  const targets = tf.oneHot(
    tf.tensor1d(
      indices.map((row) => input.classes[row]),
      'int32',
    ),
    input.labels.length,
  );
  return [tf.tensor2d(features, [indices.length, EMBEDDING_SIZE]), targets as tf.Tensor2D];
}

function score(model: tf.LayersModel, input: HeadTrainingInput): Float32Array {
  if (input.validation.length === 0) return new Float32Array(0);
  return tf.tidy(() => {
    const [xs] = examples(input, input.validation);
    return (model.predict(xs) as tf.Tensor).dataSync() as Float32Array;
  });
}

/** model.json (labels in its metadata) and its one weight file, as the registry stores them. */
async function artifactOf(
  model: tf.LayersModel,
  labels: string[],
): Promise<{ modelJson: Uint8Array; weights: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const { modelTopology, weightSpecs, weightData, format } = saved!;
  const json = {
    format,
    generatedBy: 'vireo train-classifier',
    modelTopology,
    userDefinedMetadata: { labels },
    weightsManifest: [{ paths: [HEAD_WEIGHTS_FILE], weights: weightSpecs }],
  };
  return {
    modelJson: new TextEncoder().encode(JSON.stringify(json)),
    weights: new Uint8Array(weightData as ArrayBuffer),
  };
}

void train();
