import sharp from 'sharp';
import { preprocessImage } from '../../model/runtime';
import { decodeOnce } from './decoded-image';
import { cleanImage, UndecodableImageError } from './image-cleaner';

/** A photo-like JPEG with gradients and edges, larger than the derivative. */
const photo = (width: number, height: number) =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
        '<defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#234"/>' +
        '<stop offset="1" stop-color="#fc8"/></linearGradient></defs>' +
        `<rect width="${width}" height="${height}" fill="url(#g)"/>` +
        `<circle cx="${width / 3}" cy="${height / 2}" r="${height / 4}" fill="#c22"/></svg>`,
    ),
  )
    .jpeg({ quality: 90 })
    .toBuffer();

describe('decodeOnce', () => {
  it('makes the same derivative as the thumbnail step, and the model input the runtime would', async () => {
    for (const [width, height] of [
      [1600, 1200],
      [2000, 300],
      [120, 90],
    ]) {
      const bytes = await photo(width, height);
      const decoded = await decodeOnce(bytes);
      const cleaned = await cleanImage(bytes);
      expect({ width: decoded.width, height: decoded.height }).toEqual({ width, height });
      const [once, twice] = await Promise.all(
        [decoded.thumbnail, cleaned.thumbnail].map((t) => sharp(t).metadata()),
      );
      expect([once.format, once.width, once.height]).toEqual(['webp', twice.width, twice.height]);

      // Resized in two steps instead of one: the pixels differ by a few levels at most.
      const reference = await preprocessImage(bytes);
      let worst = 0;
      let total = 0;
      for (let i = 0; i < reference.length; i++) {
        const diff = Math.abs(reference[i] - decoded.modelInput[i]);
        worst = Math.max(worst, diff);
        total += diff;
      }
      expect({ size: `${width}x${height}`, mean: total / reference.length < 0.01 }).toEqual({
        size: `${width}x${height}`,
        mean: true,
      });
      expect(worst).toBeLessThan(0.25);
    }
  });

  it('auto-orients by EXIF and flattens transparency onto white for the model', async () => {
    const rotated = await sharp({
      create: { width: 60, height: 40, channels: 3, background: '#2a4' },
    })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await decodeOnce(rotated)).toMatchObject({ width: 40, height: 60 });
    const clear = await sharp({
      create: { width: 30, height: 30, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const { modelInput } = await decodeOnce(clear);
    expect(modelInput.reduce((min, v) => Math.min(min, v), 1)).toBe(1);
  });

  it('refuses bytes that do not decode with the image failure code', async () => {
    const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 7)]);
    await expect(decodeOnce(fake)).rejects.toMatchObject({ code: 'undecodable_image' });
    await expect(decodeOnce(fake)).rejects.toBeInstanceOf(UndecodableImageError);
  });
});
