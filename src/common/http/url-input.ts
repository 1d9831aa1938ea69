import type { FastifyInstance } from 'fastify';
import { nulCharacter } from './input-errors';

/** A percent-encoded NUL anywhere in a URL (path or query); raw NULs never get past Node. */
const ENCODED_NUL = /%00/i;

/**
 * Refuses a URL carrying NUL before any route sees it: path parameters and query strings
 * reach database queries (ids, names, filters), and PostgreSQL stores no NUL.
 */
export function refuseNulInUrls(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request) => {
    if (ENCODED_NUL.test(request.url)) throw nulCharacter('URLs');
  });
}
