import { parseRangeHeader, resolveRange } from './byte-range';
import { RangeNotSatisfiableError } from './storage-errors';

describe('parseRangeHeader', () => {
  it.each([
    ['bytes=2-5', { start: 2, end: 5 }],
    ['bytes=7-', { start: 7, end: undefined }],
    ['bytes=-3', { start: 7, end: 9 }],
    ['bytes=-30', { start: 0, end: 9 }],
  ])('reads %s of 10 bytes', (header, range) => {
    expect(parseRangeHeader(header, 10)).toEqual(range);
  });

  it.each([undefined, 'bytes=-', 'bytes=1-2,4-5', 'items=1-2', 'bytes=a-b'])(
    'ignores %j (the whole object is served)',
    (header) => expect(parseRangeHeader(header, 10)).toBeUndefined(),
  );
});

describe('resolveRange', () => {
  it('clips the end to the object', () => {
    expect(resolveRange({ start: 4, end: 100 }, 10)).toEqual({ start: 4, end: 9 });
    expect(resolveRange({ start: 4 }, 10)).toEqual({ start: 4, end: 9 });
  });

  it.each([{ start: 10 }, { start: 5, end: 4 }])('refuses %j as not satisfiable', (range) => {
    expect(() => resolveRange(range, 10)).toThrow(new RangeNotSatisfiableError(10));
  });
});
