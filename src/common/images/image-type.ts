import { HttpStatus } from '@nestjs/common';
import { AppError } from '../app-error';

/** The image types uploads, predictions and inference take, judged by their bytes. */
export const SUPPORTED_IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/tiff',
] as const;
export type ImageContentType = (typeof SUPPORTED_IMAGE_TYPES)[number];

/** Bytes needed to recognise every supported type. */
export const IMAGE_SIGNATURE_BYTES = 32;

const AVIF_BRANDS = new Set(['avif', 'avis']);

/**
 * The image type the bytes themselves declare (magic numbers), whatever a client claimed.
 * `null` when the bytes are not a supported image.
 */
export function sniffImageType(head: Buffer): ImageContentType | null {
  const ascii = (start: number, end: number) => head.subarray(start, end).toString('latin1');
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff)
    return 'image/jpeg';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'image/tiff';
  if (ascii(4, 8) === 'ftyp' && isAvif(head)) return 'image/avif';
  return null;
}

/** An ISO-BMFF `ftyp` box whose major or a compatible brand is AVIF. */
function isAvif(head: Buffer): boolean {
  const boxSize = Math.min(head.readUInt32BE(0), head.length);
  for (let offset = 8; offset + 4 <= boxSize; offset += 4) {
    if (offset === 12) continue; // minor version, not a brand
    if (AVIF_BRANDS.has(head.subarray(offset, offset + 4).toString('latin1'))) return true;
  }
  return false;
}

/** 415 for bytes that are no image of SUPPORTED_IMAGE_TYPES (whatever a client declared). */
export function unsupportedImage(): AppError {
  return new AppError(
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'unsupported_image',
    'The bytes are not a supported image (JPEG, PNG, WebP, GIF, AVIF or TIFF)',
  );
}

/** The bytes' type, or 415: checked before any decoder (libvips reads SVG, PDF, ...) sees them. */
export function assertSupportedImage(bytes: Buffer): ImageContentType {
  const type = sniffImageType(bytes.subarray(0, IMAGE_SIGNATURE_BYTES));
  if (!type) throw unsupportedImage();
  return type;
}
