import sharp from 'sharp';
import { DERIVATIVE_WEBP } from '../../../common/images/derivative';
import { exceedsPixelLimit, MAX_INPUT_PIXELS } from '../../../common/images/pixel-limit';
export const THUMBNAIL_MAX_SIDE = 512;

export interface CleanedImage {
  /** Pixels once auto-oriented (EXIF orientation applied). */
  width: number;
  height: number;
  /** Auto-oriented, at most THUMBNAIL_MAX_SIDE a side, WebP, without metadata. */
  thumbnail: Buffer;
}

/** The bytes are no image sharp can decode within the pixel limit. */
export class UndecodableImageError extends Error {
  override readonly name = 'UndecodableImageError';

  constructor(
    readonly code: 'undecodable_image' | 'too_many_pixels',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The "clean" step alone (used when PIPELINE_DECODE_ONCE is off; the model then decodes the
 * bytes again itself): decode under a pixel limit, auto-orient, strip metadata (sharp writes
 * none unless asked) and make the derivative. Animated images keep their first frame.
 */
export async function cleanImage(original: Buffer): Promise<CleanedImage> {
  const options = { limitInputPixels: MAX_INPUT_PIXELS };
  try {
    const { autoOrient } = await sharp(original, options).metadata();
    const thumbnail = await sharp(original, options)
      .rotate()
      .resize(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .webp(DERIVATIVE_WEBP)
      .toBuffer();
    return { width: autoOrient.width, height: autoOrient.height, thumbnail };
  } catch (error) {
    throw asUndecodable(error as Error);
  }
}

/** Sharp's refusal as the failure the image gets. */
export function asUndecodable(error: Error): UndecodableImageError {
  return new UndecodableImageError(
    exceedsPixelLimit(error) ? 'too_many_pixels' : 'undecodable_image',
    error.message,
  );
}
