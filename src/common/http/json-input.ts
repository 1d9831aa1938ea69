import { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { Observable } from 'rxjs';
import { checkCharacters, jsonBodyRequired, jsonTooDeep } from './input-errors';

/**
 * Deeper than any real request (a 4-d tensor in an object is about 6), shallow enough for
 * every recursive consumer: class-transformer, Prisma and JSON.stringify overflow the stack
 * a few thousand levels down.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Bodies a parser turned into values (JSON, URL-encoded forms): 400 for nesting past
 * MAX_JSON_DEPTH and for NUL or an unpaired surrogate in any key or string, before any pipe or handler sees them.
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

const JSON_TYPE = /^application\/json\s*(;.*)?$/i;
/** Image and octet-stream bodies: RequestValidationPipe refuses them as values (see there). */
const STREAMED_TYPE = /^(image\/|application\/octet-stream)/i;

/**
 * A route with a `@Body()` parameter takes JSON: any other body (a form, text, none declared)
 * is a 415, not parsed into the DTO or dropped, which left a DTO of defaults (a retention run
 * without its `dryRun`). Routes reading the request themselves (uploads, tensors) are left
 * to their own checks.
 */
export class JsonBodyInterceptor implements NestInterceptor {
  private readonly takesBody = new WeakMap<object, boolean>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http' && this.routeTakesBody(context)) {
      refuseNonJsonBody(context.switchToHttp().getRequest<FastifyRequest>());
    }
    return next.handle();
  }

  private routeTakesBody(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let takes = this.takesBody.get(handler);
    if (takes === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      takes = Object.keys(args).some((key) => key.startsWith(`${RouteParamtypes.BODY}:`));
      this.takesBody.set(handler, takes);
    }
    return takes;
  }
}

function refuseNonJsonBody({ headers }: FastifyRequest): void {
  const hasBody =
    headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
  const type = headers['content-type'] ?? '';
  if (hasBody && !JSON_TYPE.test(type) && !STREAMED_TYPE.test(type)) throw jsonBodyRequired();
}
