import * as tf from '@tensorflow/tfjs';
import type { ArtifactFile } from '../model-registry';
import { invalidArtifact } from '../model-errors';
import { checkFiniteWeights } from './finite-weights';
import { BYTES_PER_VALUE, joinWeights } from './weight-data';

export const MODEL_JSON = 'model.json';

/** Names a file may have in storage: no directories, nothing hidden. */
const SAFE_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** An uploaded TF.js artifact whose files are all there, with the sizes its manifest says. */
export interface CheckedArtifact {
  artifacts: tf.io.ModelArtifacts;
  parameterCount: number;
  /** `userDefinedMetadata.labels` of the model.json, when it carries them. */
  labels?: string[];
}

/**
 * Checks an upload before anything is stored: model.json parses, names a topology and a
 * weights manifest, every weight file it names is present (and no other), and each weight
 * group's files hold exactly the bytes its entries need, every float in them finite. Throws
 * AppError 422.
 */
export function checkArtifactFiles(files: ArtifactFile[]): CheckedArtifact {
  const byName = filesByName(files);
  const modelJson = parseModelJson(byName.get(MODEL_JSON));
  const manifest = modelJson.weightsManifest;
  const named = new Set([MODEL_JSON]);
  const groups = manifest.map((group, i) => {
    const bytes = group.paths.map((path) => {
      const file = byName.get(path);
      if (!file) throw invalidArtifact(`The weight file ${path} named by model.json is missing`);
      named.add(path);
      return file.bytes;
    });
    const expected = group.weights.reduce((sum, spec) => sum + byteLength(spec), 0);
    const actual = bytes.reduce((sum, b) => sum + b.length, 0);
    if (actual !== expected) {
      throw invalidArtifact(
        `Weight group ${i} (${group.paths.join(', ')}) holds ${actual} bytes; its ` +
          `manifest needs ${expected}`,
      );
    }
    return bytes;
  });
  const extra = [...byName.keys()].filter((name) => !named.has(name));
  if (extra.length > 0) {
    throw invalidArtifact(`Files not named by model.json: ${extra.join(', ')}`);
  }
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const weightData = joinWeights(groups.flat());
  checkFiniteWeights(weightSpecs, weightData);
  return {
    artifacts: tf.io.getModelArtifactsForJSONSync(modelJson, weightSpecs, weightData),
    parameterCount: weightSpecs.reduce((sum, spec) => sum + valueCount(spec.shape), 0),
    labels: metadataLabels(modelJson),
  };
}

function filesByName(files: ArtifactFile[]): Map<string, ArtifactFile> {
  const byName = new Map<string, ArtifactFile>();
  for (const file of files) {
    if (!SAFE_FILE_NAME.test(file.name)) {
      throw invalidArtifact(`${JSON.stringify(file.name)} is not a file name the registry takes`);
    }
    if (byName.has(file.name)) throw invalidArtifact(`Two files are named ${file.name}`);
    byName.set(file.name, file);
  }
  return byName;
}

function parseModelJson(file: ArtifactFile | undefined): tf.io.ModelJSON {
  if (!file) throw invalidArtifact(`The artifact has no ${MODEL_JSON}`);
  let json: unknown;
  try {
    json = JSON.parse(file.bytes.toString('utf8'));
  } catch (error) {
    throw invalidArtifact(`${MODEL_JSON} is not JSON: ${(error as Error).message}`);
  }
  if (!isModelJson(json)) {
    throw invalidArtifact(
      `${MODEL_JSON} must hold a modelTopology object and a weightsManifest of ` +
        '{ paths, weights: [{ name, shape, dtype }] } groups',
    );
  }
  return json;
}

function isModelJson(json: unknown): json is tf.io.ModelJSON {
  const candidate = json as Partial<tf.io.ModelJSON> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.modelTopology === 'object' &&
    candidate.modelTopology !== null &&
    Array.isArray(candidate.weightsManifest) &&
    candidate.weightsManifest.every(
      (group) =>
        Array.isArray(group?.paths) &&
        group.paths.every((path) => typeof path === 'string') &&
        Array.isArray(group.weights) &&
        group.weights.every(isWeightSpec),
    )
  );
}

function isWeightSpec(spec: tf.io.WeightsManifestEntry): boolean {
  const dtype = spec?.quantization?.dtype ?? spec?.dtype;
  return (
    typeof spec?.name === 'string' &&
    Array.isArray(spec.shape) &&
    spec.shape.every((d) => Number.isInteger(d) && d >= 0) &&
    typeof dtype === 'string' &&
    dtype in BYTES_PER_VALUE
  );
}

function byteLength(spec: tf.io.WeightsManifestEntry): number {
  return valueCount(spec.shape) * BYTES_PER_VALUE[spec.quantization?.dtype ?? spec.dtype];
}

function valueCount(shape: number[]): number {
  return shape.reduce((product, d) => product * d, 1);
}

function metadataLabels(json: tf.io.ModelJSON): string[] | undefined {
  const labels = (json.userDefinedMetadata as { labels?: unknown } | undefined)?.labels;
  return Array.isArray(labels) ? (labels as string[]) : undefined;
}
