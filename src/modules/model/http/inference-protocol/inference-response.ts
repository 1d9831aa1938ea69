import type { InferResult, ServedModelVersion } from '../../model-server';
import type { InferenceResponseDto } from '../dto/inference-response.dto';

/** `$inference_response`: the scores as the model's one output, `[batch, labels]`. */
export function inferenceResponse(
  model: ServedModelVersion,
  result: InferResult,
  id: string,
): InferenceResponseDto {
  const [output] = model.outputs;
  return {
    model_name: model.name,
    model_version: String(result.version),
    id,
    outputs: [
      {
        name: output.name,
        datatype: output.datatype,
        shape: result.shape,
        data: Array.from(result.scores),
      },
    ],
  };
}

/**
 * The binary tensor data extension's answer: the JSON response without the output's `data`
 * (`parameters.binary_data_size` instead), then the scores as little-endian FP32. Send with
 * Inference-Header-Content-Length = `headerLength`.
 */
export function binaryInferenceResponse(
  response: InferenceResponseDto,
  scores: Float32Array,
): { body: Buffer; headerLength: number } {
  const outputs = response.outputs.map(({ data: _data, ...output }) => ({
    ...output,
    parameters: { binary_data_size: scores.byteLength },
  }));
  const header = Buffer.from(JSON.stringify({ ...response, outputs }));
  const data = Buffer.from(scores.buffer, scores.byteOffset, scores.byteLength);
  return { body: Buffer.concat([header, data]), headerLength: header.length };
}
