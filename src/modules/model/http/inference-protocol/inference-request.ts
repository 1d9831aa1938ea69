import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../../../common/app-error';
import { assertSupportedImage } from '../../../../common/images/image-type';
import type { InferInput, ServedModelVersion, TensorSpec } from '../../model-server';
import { batchSizeOf } from '../../serving/tensor-specs';

/** An Open Inference Protocol inference request, checked against the model it is sent to. */
export interface InferenceRequest {
  id?: string;
  input: InferInput;
}

/** The request's id comes back in the answer, so it is bounded like any text. */
const MAX_ID_LENGTH = 256;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parses `$inference_request` for `model`: exactly one input, one of the model's (its FP32
 * tensor, `data` flat or nested, or `image`, BYTES whose elements are base64-encoded image
 * files); `outputs`, when given, only names the model's outputs. Throws AppError 400 naming
 * what the model expects.
 */
export function parseInferenceRequest(body: unknown, model: ServedModelVersion): InferenceRequest {
  if (!isObject(body)) throw invalidRequest('The body must be a JSON object');
  const { id, inputs, outputs } = body;
  if (id !== undefined && (typeof id !== 'string' || id.length > MAX_ID_LENGTH)) {
    throw invalidRequest(`"id" must be a string of at most ${MAX_ID_LENGTH} characters`);
  }
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw invalidRequest(`"inputs" must hold exactly one input: ${expectedInputs(model)}`);
  }
  checkRequestedOutputs(outputs, model);
  return { ...(id !== undefined && { id }), input: parseInput(inputs[0], model) };
}

function parseInput(input: unknown, model: ServedModelVersion): InferInput {
  if (!isObject(input)) throw invalidRequest('An input must be an object');
  const { name, datatype, shape, data } = input;
  const spec = model.inputs.find((candidate) => candidate.name === name);
  if (!spec) {
    throw invalidRequest(
      `${model.name} has no input ${JSON.stringify(name)}; it takes ${expectedInputs(model)}`,
    );
  }
  if (datatype !== spec.datatype) {
    throw invalidRequest(
      `Input ${spec.name} must be ${describe(spec)}; got datatype ${JSON.stringify(datatype)}`,
    );
  }
  if (!isShape(shape)) {
    throw invalidRequest(`"shape" must be a list of non-negative integers: ${describe(spec)}`);
  }
  const values = flatten(data, spec);
  if (spec.datatype === 'FP32') {
    batchSizeOf(spec, shape, values.length);
    return { kind: 'tensor', data: toFloat32(values, spec), shape };
  }
  if (shape.length !== 1 || shape[0] !== values.length || values.length === 0) {
    throw invalidRequest(
      `Input ${spec.name} must be ${describe(spec)} with as many elements; got shape ` +
        `[${shape.join(', ')}] with ${values.length} elements`,
    );
  }
  return { kind: 'images', images: values.map((value, i) => decodeImage(value, i)) };
}

function checkRequestedOutputs(outputs: unknown, model: ServedModelVersion): void {
  if (outputs === undefined) return;
  const known = model.outputs.map((output) => output.name);
  const valid =
    Array.isArray(outputs) &&
    outputs.every((output) => isObject(output) && known.includes(output.name as string));
  if (!valid) {
    throw invalidRequest(`"outputs" may only name ${known.map((n) => `"${n}"`).join(', ')}`);
  }
}

/** Row-major leaves of `data`, nested or flat. */
function flatten(data: unknown, spec: TensorSpec): unknown[] {
  if (!Array.isArray(data)) throw invalidRequest(`"data" must be an array: ${describe(spec)}`);
  return (data as unknown[]).flat(Infinity);
}

function toFloat32(values: unknown[], spec: TensorSpec): Float32Array {
  const tensor = new Float32Array(values.length);
  values.forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalidRequest(`Element ${i} of ${spec.name} is not a finite number`);
    }
    tensor[i] = value;
  });
  return tensor;
}

function decodeImage(value: unknown, index: number): Buffer {
  if (typeof value !== 'string' || value.length === 0 || !BASE64.test(value)) {
    throw invalidRequest(`Element ${index} of image must be a non-empty base64 string`);
  }
  const bytes = Buffer.from(value, 'base64');
  assertSupportedImage(bytes);
  return bytes;
}

function expectedInputs(model: ServedModelVersion): string {
  return model.inputs.map((spec) => `"${spec.name}" (${describe(spec)})`).join(' or ');
}

function describe(spec: TensorSpec): string {
  return `${spec.datatype} of shape [${spec.shape.join(', ')}], -1 being the batch size`;
}

function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && (d as number) >= 0);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidRequest(message: string): AppError {
  return new AppError(HttpStatus.BAD_REQUEST, 'invalid_inference_request', message);
}
