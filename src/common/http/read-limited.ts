import type { Readable } from 'node:stream';

/**
 * The whole stream in memory, refused with `tooLarge()` as soon as it passes `maxBytes` (what
 * is left unread is then dropped with the request).
 */
export async function readLimited(
  stream: Readable,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
