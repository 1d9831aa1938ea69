import sharp from 'sharp';
import { DERIVATIVE_WEBP } from '../../../common/images/derivative';
import { MAX_INPUT_PIXELS } from '../../../common/images/pixel-limit';
import { INPUT_SIZE, PIXELS_PER_IMAGE } from '../../model';
import { asUndecodable, CleanedImage, THUMBNAIL_MAX_SIDE } from './image-cleaner';

/** An upload decoded once: its derivative and the model's input, both from the same pixels. */
export interface DecodedImage extends CleanedImage {
  /** The backbone's input: INPUT_SIZE x INPUT_SIZE RGB in [0, 1], row-major. */
  modelInput: Float32Array;
}

/**
 * One decode (under the pixel limit, auto-oriented, first frame, sRGB) into pixels just large
 * enough for both outputs, letting JPEG shrink-on-load do most of the work; then the WebP
 * derivative and the model's input are each resized from those pixels, without decoding again.
 */
export async function decodeOnce(original: Buffer): Promise<DecodedImage> {
  try {
    const input = sharp(original, { limitInputPixels: MAX_INPUT_PIXELS });
    const { autoOrient } = await input.metadata();
    const { width, height } = autoOrient;
    const scale = Math.min(
      1,
      Math.max(THUMBNAIL_MAX_SIDE / Math.max(width, height), INPUT_SIZE / Math.min(width, height)),
    );
    const { data, info } = await input
      .rotate()
      .resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), {
        fit: 'fill',
      })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: info.channels };
    const [thumbnail, modelInput] = await Promise.all([
      sharp(data, { raw })
        .resize(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
        .webp(DERIVATIVE_WEBP)
        .toBuffer(),
      modelInputOf(data, raw),
    ]);
    return { width, height, thumbnail, modelInput };
  } catch (error) {
    throw asUndecodable(error as Error);
  }
}

/**
 * What the model runtime's own preprocessing (`preprocessImage`) makes of the bytes, from
 * decoded pixels: transparency flattened onto white, stretched to INPUT_SIZE x INPUT_SIZE,
 * RGB scaled to [0, 1].
 */
async function modelInputOf(
  data: Buffer,
  raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 },
): Promise<Float32Array> {
  const rgb = await sharp(data, { raw })
    .flatten({ background: '#ffffff' })
    .resize(INPUT_SIZE, INPUT_SIZE, { fit: 'fill' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer();
  const pixels = new Float32Array(PIXELS_PER_IMAGE);
  for (let i = 0; i < PIXELS_PER_IMAGE; i++) pixels[i] = rgb[i] / 255;
  return pixels;
}
