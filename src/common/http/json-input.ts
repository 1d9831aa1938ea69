import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { checkCharacters, jsonTooDeep } from './input-errors';

/**
 * Deeper than any real request (a 4-d tensor in an object is about 6), shallow enough for
 * every recursive consumer: class-transformer, Prisma and JSON.stringify overflow the stack
 * a few thousand levels down.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Bodies a parser turned into values (JSON, URL-encoded forms): 400 for nesting past
 * MAX_JSON_DEPTH and for NUL or an unpaired surrogate in any key or string, before any pipe or
 * handler sees them.
 * Streamed bodies (images, multipart) are checked where they are read.
 */
export function checkParsedBodies(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', async ({ body }) => {
    if (!(body instanceof Readable || Buffer.isBuffer(body))) checkJsonValue(body);
  });
}

/**
 * Walks a parsed JSON value without recursion (a deep value must not overflow this either);
 * only containers are queued, so a large numeric tensor costs one pass over its arrays.
 */
export function checkJsonValue(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  const containers: [object, number][] = [];
  const visit = (node: unknown, depth: number) => {
    if (typeof node === 'string') {
      checkCharacters(node, 'JSON strings');
    } else if (typeof node === 'object' && node !== null) {
      if (depth > maxDepth) throw jsonTooDeep(maxDepth);
      containers.push([node, depth]);
    }
  };
  visit(value, 1);
  for (let next = containers.pop(); next; next = containers.pop()) {
    const [node, depth] = next;
    if (Array.isArray(node)) {
      // Numbers first and inline: a tensor is millions of them.
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (typeof child !== 'number') visit(child, depth + 1);
      }
      continue;
    }
    for (const key of Object.keys(node)) {
      checkCharacters(key, 'JSON keys');
      visit((node as Record<string, unknown>)[key], depth + 1);
    }
  }
}
