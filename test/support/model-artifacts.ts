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
