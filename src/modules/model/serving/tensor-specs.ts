import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../../common/app-error';
import type { ModelVersionRecord } from '../../persistence';
import type { ServedModelVersion, TensorSpec } from '../model-server';
import { BUNDLED_ARTIFACT_KEY } from '../registry/bundled-model';
import { EMBEDDING_SIZE, InferenceEngine, INPUT_SIZE } from '../runtime';

/** Any batch size, as the Open Inference Protocol writes it. */
const ANY = -1;

export const IMAGE_INPUT: TensorSpec = { name: 'image', datatype: 'BYTES', shape: [ANY] };

export function isBackbone(record: ModelVersionRecord): boolean {
  return record.artifactKey === BUNDLED_ARTIFACT_KEY;
}

/** The FP32 tensor a version takes: pixels for the backbone, embeddings for a head. */
export function tensorInput(record: ModelVersionRecord): TensorSpec {
  return isBackbone(record)
    ? { name: 'input', datatype: 'FP32', shape: [ANY, INPUT_SIZE, INPUT_SIZE, 3] }
    : { name: 'embedding', datatype: 'FP32', shape: [ANY, EMBEDDING_SIZE] };
}

/** `backbone`: what the runtime runs the backbone on (heads are TF.js models). */
export function describeVersion(
  record: ModelVersionRecord,
  backbone: InferenceEngine | null,
): ServedModelVersion {
  const onnx = isBackbone(record) && backbone?.runtime === 'onnx';
  return {
    name: record.modelName,
    version: record.version,
    status: record.status,
    platform: onnx ? 'onnxruntime_onnx' : 'tensorflowjs_tfjs',
    labels: record.labels,
    inputs: [tensorInput(record), IMAGE_INPUT],
    outputs: [{ name: 'scores', datatype: 'FP32', shape: [ANY, record.labels.length] }],
  };
}

/** The batch size of `shape` if it is `expected`'s with a batch of at least one; else 400. */
export function batchSizeOf(expected: TensorSpec, shape: number[], values: number): number {
  const [batch, ...rest] = shape;
  const fits =
    shape.length === expected.shape.length &&
    Number.isInteger(batch) &&
    batch >= 1 &&
    rest.every((d, i) => d === expected.shape[i + 1]) &&
    values === shape.reduce((product, d) => product * d, 1);
  if (!fits) {
    throw new AppError(
      HttpStatus.BAD_REQUEST,
      'invalid_tensor',
      `Expected a ${expected.datatype} tensor of shape [${expected.shape.join(', ')}] ` +
        '(-1: any batch size) ' +
        `with as many values; got shape [${shape.join(', ')}] with ${values} values`,
      { details: { expected, shape } },
    );
  }
  return batch;
}
