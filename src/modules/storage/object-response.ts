import type { FastifyReply } from 'fastify';
import { ObjectRead } from './object-storage';

/**
 * Stored bytes are user content: whatever they hold, a browser that opens them directly runs
 * no script and reaches no origin of ours (`sandbox`), and saves rather than shows them unless
 * asked to show them inline.
 */
export const USER_CONTENT_POLICY = 'sandbox';

export type ContentDisposition = 'inline' | 'attachment';

/**
 * Streams an object with its type, ETag, length and, for a range, 206 + Content-Range,
 * under USER_CONTENT_POLICY and the given disposition.
 */
export async function replyWithObject(
  reply: FastifyReply,
  object: ObjectRead,
  options: { contentType?: string; cacheControl: string; disposition: ContentDisposition },
): Promise<void> {
  const length = object.range ? object.range.end - object.range.start + 1 : object.size;
  reply
    .status(object.range ? 206 : 200)
    .header('Content-Type', options.contentType ?? object.contentType)
    .header('Content-Length', String(length))
    .header('ETag', object.etag)
    .header('Accept-Ranges', 'bytes')
    .header('Last-Modified', object.lastModified.toUTCString())
    .header('Cache-Control', options.cacheControl)
    .header('Content-Security-Policy', USER_CONTENT_POLICY)
    .header('Content-Disposition', options.disposition);
  if (object.range) {
    reply.header('Content-Range', `bytes ${object.range.start}-${object.range.end}/${object.size}`);
  }
  await reply.send(object.body);
}
