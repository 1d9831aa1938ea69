import type { ServedModelVersion } from '../../model-server';
import type { ModelMetadataDto } from '../dto/model-metadata.dto';

/** `$metadata_model_response`; `versions`: every version that may be asked for by number. */
export function modelMetadata(model: ServedModelVersion, versions: number[]): ModelMetadataDto {
  return {
    name: model.name,
    versions: versions.map(String),
    platform: model.platform,
    inputs: model.inputs,
    outputs: model.outputs,
  };
}
