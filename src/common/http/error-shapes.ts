import type { RenderedError } from './error-envelope';

/** The body of an error in a protocol's own shape, instead of the envelope. */
export type ErrorShape = (rendered: RenderedError) => unknown;

const shapesByPrefix = new Map<string, ErrorShape>();

/**
 * A route prefix whose errors answer in another shape: its controller's own filter renders
 * what its routes throw; this covers errors raised before any route runs (a hook, an unknown
 * path, a URL Fastify refuses). A module-level table because Fastify's framework and
 * client-error handlers run outside Nest's injector.
 */
export function registerErrorShape(prefix: string, shape: ErrorShape): void {
  shapesByPrefix.set(prefix, shape);
}

export function errorShapeFor(url: string): ErrorShape | undefined {
  for (const [prefix, shape] of shapesByPrefix) {
    if (url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)) {
      return shape;
    }
  }
  return undefined;
}
