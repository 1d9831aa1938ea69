import sharp from 'sharp';
import { testImages } from '../../../../test/support/images';
import { AppError } from '../../../common/app-error';
import { INPUT_SIZE, PIXELS_PER_IMAGE } from './bundled-mobilenet';
import { preprocessImage } from './image-preprocessor';

/** Vertical bands of colour, left to right, each `widths[i]` pixels wide. */
function bands(colours: string[], widths: number[], height: number) {
  const width = widths.reduce((a, b) => a + b, 0);
  let left = 0;
  const rects = colours.map((fill, i) => {
    const rect = `<rect x="${left}" width="${widths[i]}" height="${height}" fill="${fill}"/>`;
    left += widths[i];
    return rect;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects.join('')}</svg>`;
  return sharp(Buffer.from(svg));
}

/** The [r, g, b] in [0, 1] at output pixel (x, y). */
function rgbAt(pixels: Float32Array, x: number, y: number): number[] {
  const offset = (y * INPUT_SIZE + x) * 3;
  return Array.from(pixels.subarray(offset, offset + 3)).map((v) => Math.round(v * 255));
}

describe('preprocessImage', () => {
  it('gives INPUT_SIZE x INPUT_SIZE RGB scaled to [0, 1]', async () => {
    const pixels = await preprocessImage(await testImages.png(300, 200, '#336699'));

    expect(pixels).toBeInstanceOf(Float32Array);
    expect(pixels).toHaveLength(PIXELS_PER_IMAGE);
    expect(rgbAt(pixels, 0, 0)).toEqual([0x33, 0x66, 0x99]);
    expect(rgbAt(pixels, INPUT_SIZE - 1, INPUT_SIZE - 1)).toEqual([0x33, 0x66, 0x99]);
  });

  it('stretches the whole picture to the square, as the model was trained, without cropping', async () => {
    // 400x100: red | green | blue. A centre crop would keep only green.
    const image = await bands(['#ff0000', '#00ff00', '#0000ff'], [100, 200, 100], 100)
      .png()
      .toBuffer();

    const pixels = await preprocessImage(image);

    expect(rgbAt(pixels, 10, 112)).toEqual([255, 0, 0]);
    expect(rgbAt(pixels, 112, 112)).toEqual([0, 255, 0]);
    expect(rgbAt(pixels, 213, 112)).toEqual([0, 0, 255]);
  });

  it('applies the EXIF orientation', async () => {
    // Stored red | blue side by side; orientation 6 displays it turned a quarter clockwise.
    const image = await bands(['#ff0000', '#0000ff'], [50, 50], 60)
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();

    const pixels = await preprocessImage(image);
    const [topR, , topB] = rgbAt(pixels, 112, 20);
    const [bottomR, , bottomB] = rgbAt(pixels, 112, 200);

    expect(topR).toBeGreaterThan(200);
    expect(topB).toBeLessThan(50);
    expect(bottomB).toBeGreaterThan(200);
    expect(bottomR).toBeLessThan(50);
  });

  it('shows transparent pixels as white', async () => {
    const image = await sharp({
      create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();

    expect(rgbAt(await preprocessImage(image), 100, 100)).toEqual([255, 255, 255]);
  });

  it.each([
    ['a 16-bit PNG', testImages.png16],
    ['a CMYK JPEG', testImages.cmykJpeg],
    ['an animated GIF', testImages.animatedGif],
    [
      'a greyscale JPEG',
      () => testImages.jpeg(50, 50, '#808080').then((b) => sharp(b).greyscale().jpeg().toBuffer()),
    ],
  ])('reads %s as 8-bit RGB', async (_kind, make) => {
    const pixels = await preprocessImage(await make());

    expect(pixels).toHaveLength(PIXELS_PER_IMAGE);
    expect(pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('refuses bytes that are no image with 415 unsupported_image', async () => {
    const error = await preprocessImage(Buffer.from('not an image')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'unsupported_image', status: 415 });
  });

  it('refuses an image over the pixel limit with 413 too_many_pixels', async () => {
    const huge = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="20000" height="10000"></svg>',
    );

    const error = await preprocessImage(huge).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'too_many_pixels', status: 413 });
  });
});
