import * as tf from '@tensorflow/tfjs';
import type { ArtifactFile } from '../../src/modules/model/model-registry';

export const WEIGHTS_FILE = 'weights.bin';

/** A TF.js model as the files of an upload: model.json and one weight shard. */
export async function artifactFiles(
  model: tf.LayersModel,
  labels?: string[],
): Promise<ArtifactFile[]> {
  let saved: tf.io.ModelArtifacts | undefined;
  if (labels) model.setUserDefinedMetadata({ labels });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const { modelTopology, weightSpecs, weightData, format, userDefinedMetadata } = saved!;
  const modelJson = {
    format,
    modelTopology,
    userDefinedMetadata,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weightSpecs }],
  };
  return [
    { name: 'model.json', bytes: Buffer.from(JSON.stringify(modelJson)) },
    { name: WEIGHTS_FILE, bytes: Buffer.from(weightData as ArrayBuffer) },
  ];
}

/** A softmax dense head on `inputSize` features, untrained (a single layer starts at zero). */
export function denseHead(inputSize: number, classes: number, hidden?: number): tf.LayersModel {
  const model = tf.sequential();
  if (hidden) {
    model.add(tf.layers.dense({ inputShape: [inputSize], units: hidden, activation: 'relu' }));
  }
  model.add(
    tf.layers.dense({
      ...(hidden ? {} : { inputShape: [inputSize] }),
      units: classes,
      activation: 'softmax',
      ...(hidden ? {} : { kernelInitializer: 'zeros' }),
    }),
  );
  return model;
}

/** A dense softmax layer's parameters: `kernel` is [inputs, classes] row-major. */
export interface DenseParams {
  kernel: Float32Array;
  bias: Float32Array;
}

const dims = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
const FLOAT = { type: 'DT_FLOAT' };

/**
 * softmax(x · kernel + bias) as a TF.js graph model (the GraphDef JSON the converter writes:
 * Placeholder `embedding` [-1, inputs], Const `kernel` and `bias`, MatMul, BiasAdd, Softmax
 * `scores`), as the files of an upload. Written by hand: no converter runs here.
 */
export function graphHead({ kernel, bias }: DenseParams, labels?: string[]): ArtifactFile[] {
  const classes = bias.length;
  const inputs = kernel.length / classes;
  const node = [
    {
      name: 'embedding',
      op: 'Placeholder',
      attr: { dtype: FLOAT, shape: { shape: dims(-1, inputs) } },
    },
    {
      name: 'kernel',
      op: 'Const',
      attr: {
        dtype: FLOAT,
        value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(inputs, classes) } },
      },
    },
    {
      name: 'bias',
      op: 'Const',
      attr: { dtype: FLOAT, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(classes) } } },
    },
    {
      name: 'logits',
      op: 'MatMul',
      input: ['embedding', 'kernel'],
      attr: { T: FLOAT, transpose_a: { b: false }, transpose_b: { b: false } },
    },
    {
      name: 'biased',
      op: 'BiasAdd',
      input: ['logits', 'bias'],
      // Attribute strings are base64 in GraphDef JSON.
      attr: { T: FLOAT, data_format: { s: Buffer.from('NHWC').toString('base64') } },
    },
    { name: 'scores', op: 'Softmax', input: ['biased'], attr: { T: FLOAT } },
  ];
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'test/support/model-artifacts.ts',
    modelTopology: { node, library: {}, versions: { producer: 1808, minConsumer: 12 } },
    signature: {
      inputs: {
        embedding: { name: 'embedding:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, inputs) },
      },
      outputs: { scores: { name: 'scores:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, classes) } },
    },
    userDefinedMetadata: labels ? { labels } : undefined,
    weightsManifest: [
      {
        paths: [WEIGHTS_FILE],
        weights: [
          { name: 'kernel', shape: [inputs, classes], dtype: 'float32' },
          { name: 'bias', shape: [classes], dtype: 'float32' },
        ],
      },
    ],
  };
  return [
    { name: 'model.json', bytes: Buffer.from(JSON.stringify(modelJson)) },
    {
      name: WEIGHTS_FILE,
      bytes: Buffer.concat(
        [kernel, bias].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
      ),
    },
  ];
}
