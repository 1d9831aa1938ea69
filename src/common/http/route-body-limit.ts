import type { FastifyInstance } from 'fastify';

/** Route config (`@RouteConfig({ bodyLimit: name })`) naming one of the limits given below. */
export interface BodyLimitRouteConfig {
  bodyLimit?: string;
}

/**
 * Gives routes marked `@RouteConfig({ bodyLimit: name })` the body limit `limits[name]`
 * instead of the server's (MAX_JSON_BYTES): Nest passes no per-route bodyLimit to Fastify,
 * so it is set as each route is added. Must run before the routes are registered.
 */
export function applyRouteBodyLimits(
  fastify: FastifyInstance,
  limits: Record<string, number>,
): void {
  fastify.addHook('onRoute', (route) => {
    const name = (route.config as BodyLimitRouteConfig | undefined)?.bodyLimit;
    if (name === undefined) return;
    if (!(name in limits)) throw new Error(`No body limit named ${name}`);
    route.bodyLimit = limits[name];
  });
}
