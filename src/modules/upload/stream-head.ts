import { Readable } from 'node:stream';

export interface PeekedStream {
  /** At least `bytes` bytes, unless the stream was shorter. */
  head: Buffer;
  /** The whole stream again, head included; destroying it destroys the source. */
  body: Readable;
}

/** Reads the first `bytes` of a stream (e.g. to sniff its type) without losing them. */
export async function peekHead(source: Readable, bytes: number): Promise<PeekedStream> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const read: Buffer[] = [];
  let length = 0;
  let finished = false;
  while (length < bytes) {
    const next = await chunks.next();
    if (next.done) {
      finished = true;
      break;
    }
    read.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(read);
  let unsentHead = head.length > 0 ? head : null;
  const body = new Readable({
    read() {
      if (unsentHead) {
        this.push(unsentHead);
        unsentHead = null;
      } else if (finished) {
        this.push(null);
      } else {
        chunks.next().then(
          (next) => {
            if (next.done) finished = true;
            this.push(next.done ? null : next.value);
          },
          (error: Error) => this.destroy(error),
        );
      }
    },
    destroy(error, callback) {
      if (finished) return callback(error);
      finished = true;
      // Ending the iterator early destroys the source (e.g. stops reading a request).
      Promise.resolve(chunks.return?.()).then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
  return { head, body };
}
