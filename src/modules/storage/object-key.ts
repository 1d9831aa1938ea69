import { InvalidObjectKeyError } from './storage-errors';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._=-]*$/;
const MAX_KEY_LENGTH = 512;

/**
 * Keys are relative paths of plain segments: no `..`, no absolute paths, no backslashes, no
 * empty or hidden segments. That confines the local adapter to its root and keeps keys
 * portable to S3.
 */
export function assertValidKey(key: string): void {
  const segments = key.split('/');
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !segments.every((s) => SEGMENT.test(s))) {
    throw new InvalidObjectKeyError(key);
  }
}
