import { fileTooLarge } from '../input-errors';
import { asFormError } from './form-parts';

/** The form field that carries the image, on every route that takes one. */
export const IMAGE_FILE_FIELD = 'file';

/** What the form parser threw, as the API's errors; a file over `maxBytes` is a 413 for an image. */
export function asImageFormError(error: unknown, maxBytes: number): unknown {
  return asFormError(error, () => fileTooLarge(maxBytes, 'An image'));
}
