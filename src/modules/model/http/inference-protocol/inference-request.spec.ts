import { AppError } from '../../../../common/app-error';
import type { ServedModelVersion } from '../../model-server';
import { parseInferenceRequest } from './inference-request';

/** A head on a 4-d embedding with 2 labels, as the model server describes one. */
const HEAD: ServedModelVersion = {
  name: 'shapes',
  version: 2,
  status: 'production',
  platform: 'tensorflowjs_tfjs',
  labels: ['circle', 'square'],
  inputs: [
    { name: 'embedding', datatype: 'FP32', shape: [-1, 4] },
    { name: 'image', datatype: 'BYTES', shape: [-1] },
  ],
  outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, 2] }],
};

const fp32 = (shape: number[], data: unknown) => ({
  inputs: [{ name: 'embedding', datatype: 'FP32', shape, data }],
});

function refusal(body: unknown): AppError {
  try {
    parseInferenceRequest(body, HEAD);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).getStatus()).toBe(400);
    return error as AppError;
  }
  throw new Error('The request was accepted');
}

describe('parseInferenceRequest', () => {
  it('takes an FP32 batch given flat', () => {
    const parsed = parseInferenceRequest(fp32([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]), HEAD);
    expect(parsed.input).toEqual({
      kind: 'tensor',
      shape: [2, 4],
      data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
    });
  });

  it('takes the same batch nested, row-major', () => {
    const nested = parseInferenceRequest(
      fp32(
        [2, 4],
        [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
      ),
      HEAD,
    );
    const flat = parseInferenceRequest(fp32([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]), HEAD);
    expect(nested.input).toEqual(flat.input);
  });

  it('keeps the request id and accepts the outputs the model has', () => {
    const body = { id: 'req-7', ...fp32([1, 4], [0, 0, 0, 1]), outputs: [{ name: 'scores' }] };
    expect(parseInferenceRequest(body, HEAD).id).toBe('req-7');
  });

  it('decodes a BYTES input of base64 image files', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x01]);
    const files = [Buffer.from([0xff, 0xd8, 0xff, 0x01]), png];
    const body = {
      inputs: [
        {
          name: 'image',
          datatype: 'BYTES',
          shape: [2],
          data: files.map((file) => file.toString('base64')),
        },
      ],
    };
    expect(parseInferenceRequest(body, HEAD).input).toEqual({ kind: 'images', images: files });
  });

  it.each([
    ['a shape of another width', fp32([1, 3], [1, 2, 3])],
    ['a shape without a batch dimension', fp32([4], [1, 2, 3, 4])],
    ['fewer values than the shape holds', fp32([2, 4], [1, 2, 3, 4])],
    ['an empty batch', fp32([0, 4], [])],
  ])('refuses %s, naming the expected shape', (_case, body) => {
    expect(refusal(body).message).toContain('[-1, 4]');
  });

  it('refuses another datatype for an input, naming its datatype and shape', () => {
    const body = {
      inputs: [{ name: 'embedding', datatype: 'INT32', shape: [1, 4], data: [1, 2, 3, 4] }],
    };
    expect(refusal(body).message).toMatch(/must be FP32 of shape \[-1, 4\]/);
  });

  it('refuses an input the model does not have, naming the ones it has', () => {
    const body = {
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
    };
    const message = refusal(body).message;
    expect(message).toContain('"embedding" (FP32 of shape [-1, 4]');
    expect(message).toContain('"image" (BYTES of shape [-1]');
  });

  it.each([
    ['a string', fp32([1, 4], [1, 2, '3', 4])],
    ['null', fp32([1, 4], [1, 2, null, 4])],
    ['a boolean', fp32([1, 4], [1, 2, true, 4])],
  ])('refuses an FP32 element that is %s', (_case, body) => {
    expect(refusal(body).message).toContain('Element 2');
  });

  it.each([
    ['no body', undefined],
    ['an array body', []],
    ['no inputs', {}],
    [
      'two inputs',
      { inputs: [fp32([1, 4], [1, 2, 3, 4]).inputs[0], fp32([1, 4], [1, 2, 3, 4]).inputs[0]] },
    ],
    ['a non-string id', { id: 7, ...fp32([1, 4], [1, 2, 3, 4]) }],
    ['data that is no array', fp32([1, 4], 'abcd')],
    ['a negative dimension', fp32([-1, 4], [1, 2, 3, 4])],
    ['an output the model lacks', { ...fp32([1, 4], [1, 2, 3, 4]), outputs: [{ name: 'logits' }] }],
  ])('refuses %s', (_case, body) => {
    expect(refusal(body).code).toBe('invalid_inference_request');
  });

  it.each([
    ['not base64', ['not base64!']],
    ['empty', ['']],
    ['a number', [42]],
  ])('refuses a BYTES element that is %s', (_case, data) => {
    const body = { inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data }] };
    expect(refusal(body).message).toContain('Element 0 of image');
  });

  it('refuses a BYTES shape that does not count its elements', () => {
    const body = { inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: ['AAAA'] }] };
    expect(refusal(body).message).toContain('BYTES of shape [-1]');
  });

  it('refuses numbers an FP32 tensor cannot hold: 1e308 would become Infinity', () => {
    expect(refusal(fp32([1, 4], [0, 1e308, 0, 0])).message).toContain(
      'Element 1 of embedding is not a finite FP32 number',
    );
    expect(refusal(fp32([1, 4], [0, 0, -3.5e38, 0])).message).toContain('Element 2');
    expect(parseInferenceRequest(fp32([1, 4], [0, 0, 3.4e38, 0]), HEAD).input).toMatchObject({
      kind: 'tensor',
    });
  });

  it('takes FP32 binary data in place, and asks for binary output when told to', () => {
    const tensor = Float32Array.from([1, 2, 3, 4]);
    const binary = new Uint8Array(tensor.buffer);
    const body = {
      inputs: [
        {
          name: 'embedding',
          datatype: 'FP32',
          shape: [1, 4],
          parameters: { binary_data_size: 16 },
        },
      ],
      parameters: { binary_data_output: true },
    };

    const parsed = parseInferenceRequest(body, HEAD, binary);

    expect(parsed.binaryOutput).toBe(true);
    expect(parsed.input).toEqual({ kind: 'tensor', shape: [1, 4], data: tensor });
    expect((parsed.input as { data: Float32Array }).data.buffer).toBe(tensor.buffer);
    tensor[2] = Infinity;
    expect(() => parseInferenceRequest(body, HEAD, binary)).toThrow('Element 2');
  });
});
