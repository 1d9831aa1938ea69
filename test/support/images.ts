import sharp from 'sharp';

/** Images made by the tests themselves: ordinary ones and the awkward real-world kinds. */
export const testImages = {
  jpeg: (width = 64, height = 48, background = '#3366cc') =>
    sharp({ create: { width, height, channels: 3, background } })
      .jpeg()
      .toBuffer(),

  png: (width = 64, height = 48, background = '#cc6633') =>
    sharp({ create: { width, height, channels: 3, background } })
      .png()
      .toBuffer(),

  /** Random pixels: a JPEG of about `approxBytes` that does not compress away. */
  noiseJpeg: async (approxBytes = 50 * 1024) => {
    const side = Math.ceil(Math.sqrt(approxBytes / 0.9));
    const pixels = Buffer.alloc(side * side * 3);
    let state = 0x9e3779b9;
    for (let i = 0; i < pixels.length; i++) {
      // xorshift32: deterministic noise, so the file size is the same on every run.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      pixels[i] = state & 0xff;
    }
    return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
  },

  /** 60x40 pixels stored, EXIF orientation 6: displayed 40x60 once auto-oriented. */
  exifRotatedJpeg: () =>
    sharp({ create: { width: 60, height: 40, channels: 3, background: '#22aa44' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer(),

  animatedGif: async () => {
    const frames = await Promise.all(
      ['#ff0000', '#00ff00', '#0000ff'].map((background) =>
        sharp({ create: { width: 32, height: 32, channels: 3, background } })
          .png()
          .toBuffer(),
      ),
    );
    return sharp(frames, { join: { animated: true } })
      .gif({ delay: [100, 100, 100] })
      .toBuffer();
  },

  png16: () =>
    sharp({ create: { width: 32, height: 32, channels: 3, background: '#8040c0' } })
      .toColourspace('rgb16')
      .png()
      .toBuffer(),

  cmykJpeg: () =>
    sharp({ create: { width: 32, height: 32, channels: 3, background: '#c08040' } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer(),
};
