import sharp from 'sharp';
import { sniffImageType } from './image-type';

const pixel = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#36c' } });

describe('sniffImageType', () => {
  it.each([
    ['image/jpeg', () => pixel().jpeg().toBuffer()],
    ['image/png', () => pixel().png().toBuffer()],
    ['image/gif', () => pixel().gif().toBuffer()],
    ['image/webp', () => pixel().webp().toBuffer()],
    ['image/avif', () => pixel().avif().toBuffer()],
    ['image/tiff', () => pixel().tiff().toBuffer()],
    ['image/tiff', () => pixel().tiff({ compression: 'lzw' }).toBuffer()],
  ])('recognises %s by its bytes', async (type, encode) => {
    expect(sniffImageType((await encode()).subarray(0, 32))).toBe(type);
  });

  it.each([
    ['text', Buffer.from('hello, this is not an image at all')],
    ['PDF', Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj')],
    [
      'MP4 (ftyp, not AVIF)',
      Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex'),
    ],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['empty', Buffer.alloc(0)],
    ['truncated PNG', Buffer.from([0x89, 0x50, 0x4e])],
  ])('refuses %s', (_name, bytes) => {
    expect(sniffImageType(bytes)).toBeNull();
  });
});
