import {
  ImageContentType,
  sniffImageType,
  SUPPORTED_IMAGE_TYPES,
  unsupportedImage,
} from '../../common/images/image-type';
import { emptyFile, contentTypeMismatch } from './upload-errors';

/** Types a client may declare when it does not know better: the bytes decide. */
const UNSPECIFIC_TYPES = new Set(['', 'application/octet-stream']);

/**
 * The type of an image judged by its first bytes: 400 when there are none, 415 when they
 * are no supported image, 422 when they are another image type than the client declared.
 */
export function imageTypeOf(head: Buffer, declared?: string): ImageContentType {
  if (head.length === 0) throw emptyFile();
  const actual = sniffImageType(head);
  if (!actual) throw unsupportedImage();
  const claimed = normalizeContentType(declared);
  if (!UNSPECIFIC_TYPES.has(claimed) && claimed !== actual) {
    throw contentTypeMismatch(claimed, actual);
  }
  return actual;
}

export function isSupportedImageType(contentType: string): contentType is ImageContentType {
  return (SUPPORTED_IMAGE_TYPES as readonly string[]).includes(normalizeContentType(contentType));
}

/** `Image/JPEG; charset=x` -> `image/jpeg`. */
export function normalizeContentType(contentType = ''): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}
