import { HttpStatus } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AppError } from '../../../../common/app-error';
import { invalidRequest } from './inference-request';

/** The binary tensor data extension's header: the JSON part's length, binary tensors after it. */
export const INFERENCE_HEADER_LENGTH = 'inference-header-content-length';

/** An inference request body: its JSON, and the tensor bytes that followed it, if binary. */
export interface InferenceBody {
  json: unknown;
  binary?: Uint8Array;
}

/**
 * The body of a `/v2` infer call, at most `maxBytes` (MAX_TENSOR_BYTES): JSON arrives parsed
 * (the route's body limit is MAX_TENSOR_BYTES); a binary request (the Open Inference
 * Protocol's binary tensor data extension, as Triton and KServe take it:
 * `application/octet-stream` with `Inference-Header-Content-Length`) is read here into one
 * buffer whose tensor part is 4-byte aligned, so an FP32 tensor is used in place, not copied.
 */
export async function readInferenceBody(
  request: FastifyRequest,
  maxBytes: number,
): Promise<InferenceBody> {
  if (!(request.body instanceof Readable)) return { json: request.body };
  const headerLength = Number(request.headers[INFERENCE_HEADER_LENGTH]);
  if (!Number.isSafeInteger(headerLength) || headerLength < 0) {
    throw invalidRequest(
      'A binary inference request needs an Inference-Header-Content-Length header: the ' +
        'length of its JSON part',
    );
  }
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = await readAligned(request.body, maxBytes, headerLength, declared);
  if (headerLength > body.length) {
    throw invalidRequest(`The body is shorter than its ${headerLength}-byte JSON header`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, headerLength).toString('utf8'));
  } catch (error) {
    throw invalidRequest(`The JSON header is not JSON: ${(error as Error).message}`);
  }
  return { json, binary: body.subarray(headerLength) };
}

/**
 * The stream in one buffer, placed so that byte `headerLength` starts on a multiple of 4;
 * sized by Content-Length when declared (no chunk list to join).
 */
async function readAligned(
  stream: Readable,
  maxBytes: number,
  headerLength: number,
  declared: number,
): Promise<Uint8Array> {
  const shift = (4 - (headerLength % 4)) % 4;
  let capacity = Number.isSafeInteger(declared) ? declared : 64 * 1024;
  let body = new Uint8Array(new ArrayBuffer(capacity + shift), shift, capacity);
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (size + chunk.length > maxBytes) throw tooLarge(maxBytes);
    if (size + chunk.length > capacity) {
      capacity = Math.min(maxBytes, Math.max(capacity * 2, size + chunk.length));
      const grown = new Uint8Array(new ArrayBuffer(capacity + shift), shift, capacity);
      grown.set(body.subarray(0, size));
      body = grown;
    }
    body.set(chunk, size);
    size += chunk.length;
  }
  return body.subarray(0, size);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'payload_too_large',
    `An inference request may have at most ${maxBytes} bytes (MAX_TENSOR_BYTES)`,
  );
}
