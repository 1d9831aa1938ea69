import { HttpStatus } from '@nestjs/common';
import sharp from 'sharp';
import { AppError } from '../../../common/app-error';
import { exceedsPixelLimit, MAX_INPUT_PIXELS } from '../../../common/images/pixel-limit';
import { INPUT_SIZE, PIXELS_PER_IMAGE } from './bundled-mobilenet';

/**
 * Image bytes -> the network's input: decoded under a pixel limit (first frame of an
 * animation), auto-oriented, transparency flattened onto white (as a page shows it),
 * stretched to INPUT_SIZE x INPUT_SIZE as the model was trained (Keras `target_size`, which
 * nsfwjs reproduces), RGB scaled to [0, 1]. Sharp decodes on libuv's pool, off the event loop.
 */
export async function preprocessImage(bytes: Buffer): Promise<Float32Array> {
  let rgb: Buffer;
  try {
    rgb = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize(INPUT_SIZE, INPUT_SIZE, { fit: 'fill' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer();
  } catch (error) {
    throw asClientError(error as Error);
  }
  const pixels = new Float32Array(PIXELS_PER_IMAGE);
  for (let i = 0; i < PIXELS_PER_IMAGE; i++) pixels[i] = rgb[i] / 255;
  return pixels;
}

function asClientError(error: Error): AppError {
  if (exceedsPixelLimit(error)) {
    return new AppError(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'too_many_pixels',
      `The image has more than ${MAX_INPUT_PIXELS} pixels`,
    );
  }
  return new AppError(
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'unsupported_image',
    // The decoder's own words (e.g. "glib: XML parse error") name internals, not the input.
    'The bytes are not an image that can be decoded',
  );
}
