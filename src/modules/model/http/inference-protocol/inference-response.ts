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
