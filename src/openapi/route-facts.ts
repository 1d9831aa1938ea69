import { RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { PUBLIC_ROUTE, PublicRoute } from '../common/http/public.decorator';
import { RATE_LIMIT_CLASS, REQUIRED_SCOPES } from '../modules/gateway';

/** What the guards and pipes of a route do, read from the same metadata they read. */
export interface RouteFacts {
  /** `optional`: public while a setting says so (e.g. `/metrics` with METRICS_PUBLIC). */
  credentials: 'required' | 'optional' | 'none';
  needsScopes: boolean;
  rateLimited: boolean;
  hasPathParameters: boolean;
  takesBody: boolean;
}

const BODY_METHODS = new Set([RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH]);

/** Every route handler of the application by its OpenAPI operationId (`Controller_method`). */
export function routeFacts(modules: ModulesContainer): Map<string, RouteFacts> {
  const routes = new Map<string, RouteFacts>();
  for (const module of modules.values()) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as Type | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[key];
        if (key === 'constructor' || typeof handler !== 'function') continue;
        const method: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, handler);
        if (method === undefined) continue;
        // Method metadata overrides the controller's, as Nest's Reflector.getAllAndOverride.
        const read = (metadataKey: string) =>
          Reflect.getMetadata(metadataKey, handler) ?? Reflect.getMetadata(metadataKey, controller);
        const path = [
          Reflect.getMetadata(PATH_METADATA, controller),
          Reflect.getMetadata(PATH_METADATA, handler),
        ].join('/');
        routes.set(`${controller.name}_${key}`, {
          credentials: credentialsOf(read(PUBLIC_ROUTE)),
          needsScopes: (read(REQUIRED_SCOPES) ?? []).length > 0,
          rateLimited: read(RATE_LIMIT_CLASS) !== undefined,
          hasPathParameters: /(^|\/):/.test(path),
          takesBody: BODY_METHODS.has(method),
        });
      }
    }
  }
  return routes;
}

function credentialsOf(publicRoute: PublicRoute | undefined): RouteFacts['credentials'] {
  if (publicRoute === undefined) return 'required';
  return publicRoute === true ? 'none' : 'optional';
}
