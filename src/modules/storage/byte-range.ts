import { ByteRange } from './object-storage';
import { RangeNotSatisfiableError } from './storage-errors';

/** `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` (one range; anything else is ignored, as HTTP allows). */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | undefined {
  const match = header && /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return { start: Math.max(0, size - Number(match[2])), end: size - 1 };
  return { start: Number(match[1]), end: match[2] === '' ? undefined : Number(match[2]) };
}

/** The inclusive range actually served, clipped to the object; `RangeNotSatisfiableError` when it starts past the end. */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (range.start >= size || range.start > end) {
    throw new RangeNotSatisfiableError(size);
  }
  return { start: range.start, end };
}
