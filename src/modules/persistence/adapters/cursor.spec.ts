import { InvalidCursorError } from '../domain/errors';
import { decodeCursor, encodeCursor } from './cursor';

describe('image list cursors', () => {
  const position = {
    createdAt: new Date('2026-11-28T20:00:00.123Z'),
    id: '0190b6a4-8d2c-7e11-9c3a-2f1e4b5a6c7d',
  };
  const encoded = (text: string) => Buffer.from(text).toString('base64url');

  it('round-trips a position', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['garbage', 'garbage'],
    ['a bad date', encoded(`yesterday|${position.id}`)],
    ['a bad id', encoded('2026-11-28T20:00:00.123Z|1; DROP')],
    ['extra parts', encoded(`2026-11-28T20:00:00.123Z|${position.id}|x`)],
  ])('rejects %s as an invalid cursor', (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
  });
});
