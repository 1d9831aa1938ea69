import type { FastifyInstance } from 'fastify';

/** Content types whose bodies reach handlers as the raw stream, never buffered. */
const BINARY_BODY = /^(image\/[\w.+-]+|application\/octet-stream)\s*(;.*)?$/i;

/**
 * Image and octet-stream bodies are handed to the route as a Readable (`request.body`), so
 * uploads stream to storage; the route enforces its own size limit while reading.
 */
export function streamBinaryBodies(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(BINARY_BODY, (_request, payload, done) => done(null, payload));
}
