import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { RowDigest } from '../persistence';

export interface LineCount {
  rows: number;
  sha256: string;
}

/** Writes `lines` to a new gzip file, one per line; resolves with their count and SHA-256. */
export async function writeLineFile(
  path: string,
  lines: AsyncIterable<string>,
): Promise<LineCount> {
  const digest = new RowDigest();
  await mkdir(dirname(path), { recursive: true });
  await pipeline(
    async function* () {
      for await (const line of lines) {
        digest.add(line);
        yield `${line}\n`;
      }
    },
    createGzip(),
    createWriteStream(path, { flags: 'wx', flush: true }),
  );
  return { rows: digest.rows, sha256: digest.sha256() };
}

/** The lines of a file `writeLineFile` wrote; rejects on damage (bad gzip, a cut-off line). */
export async function* readLineFile(path: string): AsyncGenerator<string> {
  const file = createReadStream(path);
  const text = file.pipe(createGunzip()).setEncoding('utf8');
  file.on('error', (error) => text.destroy(error));
  let partial = '';
  for await (const chunk of text as AsyncIterable<string>) {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() as string;
    yield* lines;
  }
  if (partial) throw new Error('its last line is cut off');
}

/** Reads a whole line file and counts and hashes its lines. */
export async function countLineFile(path: string): Promise<LineCount> {
  const digest = new RowDigest();
  for await (const line of readLineFile(path)) digest.add(line);
  return { rows: digest.rows, sha256: digest.sha256() };
}
