import type { FastifyInstance } from 'fastify';
import { isUtf8 } from 'node:buffer';
import { invalidCharacters, nulCharacter } from './input-errors';

/** A percent-encoded NUL anywhere in a URL (path or query); raw NULs never get past Node. */
const ENCODED_NUL = /%00/i;
/** A run of percent-encoded bytes: together they must be UTF-8. */
const ENCODED_BYTES = /(?:%[0-9a-f]{2})+/gi;

/**
 * Refuses a URL carrying NUL, or encoded bytes that are no UTF-8 (`%ED%A0%80`, a lone
 * surrogate, among them), before any route sees it: path parameters and query strings reach
 * database queries (ids, names, filters), and the decoder would store such bytes as U+FFFD.
 */
export function refuseInvalidUrlCharacters(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    if (ENCODED_NUL.test(request.url)) throw nulCharacter('URLs');
    for (const [run] of request.url.matchAll(ENCODED_BYTES)) {
      if (!isUtf8(Buffer.from(run.replaceAll('%', ''), 'hex'))) {
        throw invalidCharacters('URLs may percent-encode only UTF-8 text');
      }
    }
  });
}
