import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../../../common/app-error';
import { assertSupportedImage } from '../../../../common/images/image-type';
import type { InferInput, ServedModelVersion, TensorSpec } from '../../model-server';
import { batchSizeOf } from '../../serving/tensor-specs';

/** An Open Inference Protocol inference request, checked against the model it is sent to. */
export interface InferenceRequest {
  id?: string;
  input: InferInput;
  /** The client asked for the scores as binary tensor data. */
  binaryOutput: boolean;
}

/** The request's id comes back in the answer, so it is bounded like any text. */
const MAX_ID_LENGTH = 256;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Nesting of `data` deeper than any model's input rank is refused, not walked. */
const MAX_DATA_DEPTH = 8;

/**
 * Parses `$inference_request` for `model`: exactly one input, one of the model's (its FP32
 * tensor, `data` flat or nested, or `image`, BYTES whose elements are base64-encoded image
 * files); `outputs`, when given, only names the model's outputs. With the binary tensor data
 * extension, the input's `parameters.binary_data_size` bytes of `binary` hold its elements
 * (FP32 little-endian, or BYTES each after its 4-byte length). FP32 values must be finite
 * as 32-bit floats. Throws AppError 400 naming what the model expects.
 */
export function parseInferenceRequest(
  body: unknown,
  model: ServedModelVersion,
  binary?: Uint8Array,
): InferenceRequest {
  if (!isObject(body)) throw invalidRequest('The body must be a JSON object');
  const { id, inputs, outputs, parameters } = body;
  if (id !== undefined && (typeof id !== 'string' || id.length > MAX_ID_LENGTH)) {
    throw invalidRequest(`"id" must be a string of at most ${MAX_ID_LENGTH} characters`);
  }
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw invalidRequest(`"inputs" must hold exactly one input: ${expectedInputs(model)}`);
  }
  checkRequestedOutputs(outputs, model);
  return {
    ...(id !== undefined && { id }),
    input: parseInput(inputs[0], model, binary),
    binaryOutput: wantsBinaryOutput(outputs, parameters),
  };
}

function parseInput(input: unknown, model: ServedModelVersion, binary?: Uint8Array): InferInput {
  if (!isObject(input)) throw invalidRequest('An input must be an object');
  const { name, datatype, shape } = input;
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
  const binarySize = binaryDataSize(input, binary);
  if (spec.datatype === 'FP32') {
    const data =
      binarySize === undefined ? floatsOf(input.data, spec) : binaryFloats(binary!, binarySize);
    batchSizeOf(spec, shape, data.length);
    checkFinite(data, spec);
    return { kind: 'tensor', data, shape };
  }
  const values =
    binarySize === undefined ? flatten(input.data, spec) : binaryElements(binary!, binarySize);
  if (shape.length !== 1 || shape[0] !== values.length || values.length === 0) {
    throw invalidRequest(
      `Input ${spec.name} must be ${describe(spec)} with as many elements; got shape ` +
        `[${shape.join(', ')}] with ${values.length} elements`,
    );
  }
  const images = values.map((value, i) => {
    const bytes = value instanceof Buffer ? value : decodeImage(value, i);
    // As for uploads: no decoder sees bytes of another type (libvips reads SVG, PDF, ...).
    assertSupportedImage(bytes);
    return bytes;
  });
  return { kind: 'images', images };
}

/** The input's binary_data_size when it is sent as binary data: all of `binary`, as it is one. */
function binaryDataSize(input: Record<string, unknown>, binary?: Uint8Array): number | undefined {
  const size = (input.parameters as Record<string, unknown> | undefined)?.binary_data_size;
  if (size === undefined) {
    if (binary?.length) throw invalidRequest('Binary data follows, but no input names its size');
    return undefined;
  }
  if (!binary || size !== binary.length) {
    throw invalidRequest(
      `binary_data_size (${String(size)}) must be the ${binary?.length ?? 0} bytes after the ` +
        'JSON header (Inference-Header-Content-Length)',
    );
  }
  return size;
}

/** Little-endian FP32 in place: readInferenceBody aligned it. */
function binaryFloats(binary: Uint8Array, size: number): Float32Array {
  if (size % 4 !== 0) throw invalidRequest(`FP32 binary data of ${size} bytes is not whole floats`);
  return new Float32Array(binary.buffer, binary.byteOffset, size / 4);
}

/** BYTES elements, each after its 4-byte little-endian length (views, not copies). */
function binaryElements(binary: Uint8Array, size: number): Buffer[] {
  const bytes = Buffer.from(binary.buffer, binary.byteOffset, size);
  const elements: Buffer[] = [];
  for (let offset = 0; offset < size;) {
    const length = offset + 4 <= size ? bytes.readUInt32LE(offset) : Infinity;
    if (offset + 4 + length > size)
      throw invalidRequest('BYTES binary data ends inside an element');
    elements.push(bytes.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return elements;
}

function wantsBinaryOutput(outputs: unknown, parameters: unknown): boolean {
  const requested = Array.isArray(outputs) ? (outputs as Record<string, unknown>[]) : [];
  return (
    (isObject(parameters) && parameters.binary_data_output === true) ||
    requested.some((o) => isObject(o.parameters) && o.parameters.binary_data === true)
  );
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
  return (data as unknown[]).flat(MAX_DATA_DEPTH);
}

/**
 * Row-major numbers of `data`, nested or flat, written straight into one Float32Array (no
 * flattened copy of a request that may hold millions of numbers).
 */
function floatsOf(data: unknown, spec: TensorSpec): Float32Array {
  if (!Array.isArray(data)) throw invalidRequest(`"data" must be an array: ${describe(spec)}`);
  const tensor = new Float32Array(countLeaves(data, 1));
  let index = 0;
  const write = (values: unknown[]) => {
    for (const value of values) {
      if (Array.isArray(value)) write(value);
      else if (typeof value !== 'number') {
        throw invalidRequest(`Element ${index} of ${spec.name} is not a number`);
      } else tensor[index++] = value;
    }
  };
  write(data);
  return tensor;
}

function countLeaves(values: unknown[], depth: number): number {
  if (depth > MAX_DATA_DEPTH)
    throw invalidRequest(`"data" is nested deeper than ${MAX_DATA_DEPTH}`);
  let count = 0;
  for (const value of values) count += Array.isArray(value) ? countLeaves(value, depth + 1) : 1;
  return count;
}

/** NaN, Infinity, and numbers past FP32's range (1e308 becomes Infinity) give no scores. */
function checkFinite(tensor: Float32Array, spec: TensorSpec): void {
  const index = tensor.findIndex((value) => !Number.isFinite(value));
  if (index >= 0) {
    throw invalidRequest(
      `Element ${index} of ${spec.name} is not a finite FP32 number (at most ±3.4e38)`,
    );
  }
}

function decodeImage(value: unknown, index: number): Buffer {
  if (typeof value !== 'string' || value.length === 0 || !BASE64.test(value)) {
    throw invalidRequest(`Element ${index} of image must be a non-empty base64 string`);
  }
  return Buffer.from(value, 'base64');
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

export function invalidRequest(message: string): AppError {
  return new AppError(HttpStatus.BAD_REQUEST, 'invalid_inference_request', message);
}
