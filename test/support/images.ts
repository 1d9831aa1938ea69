import sharp from 'sharp';

/** Images made by the tests themselves: ordinary ones and the awkward real-world kinds. */
const svg = (body: string, size = 256) =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">${body}</svg>`,
    ),
  )
    .png()
    .toBuffer();

/** The shapes `testImages.shape` draws: one class each, for training a head. */
export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type Shape = (typeof SHAPES)[number];

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

  /** A flat cartoon: a sun, a house and a tree in flat colours with black outlines. */
  cartoon: () =>
    svg(
      '<rect width="256" height="256" fill="#8fd3ff"/>' +
        '<rect y="190" width="256" height="66" fill="#5cc65c" stroke="#000" stroke-width="4"/>' +
        '<circle cx="200" cy="55" r="30" fill="#ffd400" stroke="#000" stroke-width="4"/>' +
        '<rect x="40" y="110" width="100" height="90" fill="#ff6b4a" stroke="#000" stroke-width="4"/>' +
        '<polygon points="30,112 90,60 150,112" fill="#a0522d" stroke="#000" stroke-width="4"/>' +
        '<rect x="75" y="150" width="30" height="50" fill="#ffe9a8" stroke="#000" stroke-width="4"/>' +
        '<rect x="185" y="130" width="16" height="65" fill="#8b5a2b" stroke="#000" stroke-width="4"/>' +
        '<circle cx="193" cy="115" r="28" fill="#2e9e3e" stroke="#000" stroke-width="4"/>',
    ),

  /**
   * One `shape` in its own colour on white, placed and sized by `variant` (deterministic), so
   * a class is the same shape and colour at different places and sizes.
   */
  shape: (shape: Shape, variant: number) => {
    const size = 60 + ((variant * 37) % 80);
    const x = 20 + ((variant * 53) % (216 - size));
    const y = 20 + ((variant * 71) % (216 - size));
    const body = {
      circle: `<circle cx="${x + size / 2}" cy="${y + size / 2}" r="${size / 2}" fill="#d22"/>`,
      square: `<rect x="${x}" y="${y}" width="${size}" height="${size}" fill="#2a2"/>`,
      triangle: `<polygon points="${x},${y + size} ${x + size / 2},${y} ${x + size},${y + size}" fill="#22d"/>`,
    }[shape];
    return svg(`<rect width="256" height="256" fill="#fff"/>${body}`);
  },
};
