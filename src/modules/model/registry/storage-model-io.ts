import * as tf from '@tensorflow/tfjs';
import { posix } from 'node:path';
import { ObjectStorage } from '../../storage/object-storage';
import { joinWeights } from './weight-data';

/**
 * A TF.js load handler over the ObjectStorage port: `modelJsonKey` is the artifact's
 * model.json; the weight files it names sit beside it.
 */
export function storageModelLoader(
  storage: ObjectStorage,
  modelJsonKey: string,
): tf.io.IOHandler & Required<Pick<tf.io.IOHandler, 'load'>> {
  const dir = posix.dirname(modelJsonKey);
  const read = async (key: string) => Buffer.concat(await (await storage.get(key)).body.toArray());
  return {
    load: async () => {
      const modelJson = JSON.parse((await read(modelJsonKey)).toString('utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const paths = manifest.flatMap((group) => group.paths);
        const shards = await Promise.all(paths.map((path) => read(posix.join(dir, path))));
        return [tf.io.getWeightSpecs(manifest), joinWeights(shards)];
      });
    },
  };
}
