import sharp from 'sharp';

/** A 640x480 JPEG with some structure, as a camera upload would be. */
export function photoLikeJpeg(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">
    <defs><linearGradient id="sky" x2="0" y2="1"><stop offset="0" stop-color="#4a90d9"/>
    <stop offset="1" stop-color="#f2d7a0"/></linearGradient></defs>
    <rect width="640" height="480" fill="url(#sky)"/>
    <circle cx="480" cy="120" r="60" fill="#fff3b0"/>
    <path d="M0 360 L160 220 L300 340 L420 240 L640 380 L640 480 L0 480 Z" fill="#3d6b35"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}
