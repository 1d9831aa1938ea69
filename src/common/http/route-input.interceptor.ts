import { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { badRequest, jsonBodyRequired } from './input-errors';

const JSON_TYPE = /^application\/json\s*(;.*)?$/i;
/** Image and octet-stream bodies: RequestValidationPipe refuses them as values (see there). */
const STREAMED_TYPE = /^(image\/|application\/octet-stream)/i;

/** What a handler's parameters take from the request. */
interface RouteInputs {
  body: boolean;
  query: boolean;
}

/**
 * Input a route does not declare is refused, not ignored. A route with a `@Body()` parameter
 * takes JSON: any other body (a form, text, none declared) is a 415, where it used to be
 * parsed into the DTO or dropped (a multipart `dryRun` left a DTO of defaults: a real
 * retention). A route without a `@Query()` DTO takes no query parameters (400, as a DTO's
 * unknown ones are). Routes reading the request themselves (uploads, tensors) check their own.
 */
export class RouteInputInterceptor implements NestInterceptor {
  private readonly inputs = new WeakMap<object, RouteInputs>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      const inputs = this.inputsOf(context);
      if (inputs.body) refuseNonJsonBody(request);
      if (!inputs.query) refuseQuery(request);
    }
    return next.handle();
  }

  private inputsOf(context: ExecutionContext): RouteInputs {
    const handler = context.getHandler();
    let inputs = this.inputs.get(handler);
    if (!inputs) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      const takes = (type: RouteParamtypes) =>
        Object.keys(args).some((key) => key.startsWith(`${type}:`));
      inputs = { body: takes(RouteParamtypes.BODY), query: takes(RouteParamtypes.QUERY) };
      this.inputs.set(handler, inputs);
    }
    return inputs;
  }
}

function refuseNonJsonBody({ headers }: FastifyRequest): void {
  const hasBody =
    headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
  const type = headers['content-type'] ?? '';
  if (hasBody && !JSON_TYPE.test(type) && !STREAMED_TYPE.test(type)) throw jsonBodyRequired();
}

function refuseQuery({ query }: FastifyRequest): void {
  const [name] = Object.keys((query ?? {}) as object);
  if (name !== undefined) {
    throw badRequest(
      'bad_request',
      `property ${name} should not exist (this route takes no query)`,
    );
  }
}
