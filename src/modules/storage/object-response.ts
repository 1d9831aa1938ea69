import type { FastifyReply } from 'fastify';
import { ObjectRead } from './object-storage';

/** Streams an object with its type, ETag, length and, for a range, 206 + Content-Range. */
export async function replyWithObject(
  reply: FastifyReply,
  object: ObjectRead,
  options: { contentType?: string; cacheControl: string },
): Promise<void> {
  const length = object.range ? object.range.end - object.range.start + 1 : object.size;
  reply
    .status(object.range ? 206 : 200)
    .header('Content-Type', options.contentType ?? object.contentType)
    .header('Content-Length', String(length))
    .header('ETag', object.etag)
    .header('Accept-Ranges', 'bytes')
    .header('Last-Modified', object.lastModified.toUTCString())
    .header('Cache-Control', options.cacheControl);
  if (object.range) {
    reply.header('Content-Range', `bytes ${object.range.start}-${object.range.end}/${object.size}`);
  }
  await reply.send(object.body);
}
