import { checkJsonValue } from '../../common/http/json-input';
import { MAX_LABEL_LENGTH, normalizeLabel } from '../../common/labels';
import { ImageMetadata } from '../persistence';
import { badUpload } from './upload-errors';

export const MAX_METADATA_BYTES = 4096;

/** The client's metadata: a JSON object of at most 4 KiB once serialized. */
export function checkMetadata(value: unknown): ImageMetadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badUpload('invalid_metadata', 'metadata must be a JSON object');
  }
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_METADATA_BYTES) {
    throw badUpload('invalid_metadata', `metadata may have at most ${MAX_METADATA_BYTES} bytes`);
  }
  return value as ImageMetadata;
}

/** Metadata sent as a form field: JSON text. */
export function parseMetadataField(text: string): ImageMetadata {
  if (Buffer.byteLength(text) > MAX_METADATA_BYTES) {
    throw badUpload('invalid_metadata', `metadata may have at most ${MAX_METADATA_BYTES} bytes`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    checkJsonValue(parsed);
    return checkMetadata(parsed);
  } catch (error) {
    if (error instanceof SyntaxError) throw badUpload('invalid_metadata', 'metadata is not JSON');
    throw error;
  }
}

export function checkLabel(label: string): string {
  const normalized = normalizeLabel(label);
  if (normalized === undefined) {
    throw badUpload(
      'invalid_label',
      `label must have 1 to ${MAX_LABEL_LENGTH} characters, not all of them invisible`,
    );
  }
  return normalized;
}
