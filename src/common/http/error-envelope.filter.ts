import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../app-error';
import { DomainError, DomainErrorKind } from '../domain-error';
import { dependencyUnavailable, isDependencyOutage } from './dependency-outage';
import { codeForStatus, ErrorEnvelope, RenderedError } from './error-envelope';
import { errorShapeFor } from './error-shapes';

/**
 * Renders every error as the envelope `{ error: { code, message, requestId } }`; never a stack.
 * A route prefix with a shape of its own (`registerErrorShape`) keeps it for errors raised
 * before its routes run.
 */
@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    // An AppError or DomainError is an answer chosen on purpose (e.g. 503 not_ready, or a 404
    // that quotes the name asked for); anything else is a fault or an outage.
    const chosen = exception instanceof AppError || exception instanceof DomainError;
    const outage = !chosen && isDependencyOutage(exception);
    // An outage is a state readiness reports, not a fault of this request: a 503, no stack.
    if (outage)
      this.logger.warn(`request ${request.id} met an outage: ${(exception as Error).message}`);
    const rendered = render(outage ? dependencyUnavailable() : exception);
    if (rendered.status >= 500 && !chosen && !outage) {
      this.logger.error({ err: exception, requestId: request.id }, 'request failed');
    }
    // A route may have set its own type (`@Header('content-type', 'image/svg+xml')`) before it
    // failed; the envelope is JSON whatever the route would have answered.
    reply.status(rendered.status).headers(rendered.headers).type(JSON_TYPE);
    reply.send(this.body(rendered, request));
  }

  /** The error's body: a controller that speaks another protocol filters with its own. */
  protected body(rendered: RenderedError, request: FastifyRequest): unknown {
    return errorBody(rendered, request.url, request.id);
  }
}

/** Sends a rendered error in the shape the route speaks. */
export function replyWithError(
  request: FastifyRequest,
  reply: FastifyReply,
  rendered: RenderedError,
): void {
  reply.status(rendered.status).headers(rendered.headers).type(JSON_TYPE);
  reply.send(errorBody(rendered, request.url, request.id));
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function errorBody(rendered: RenderedError, url: string, requestId: string): unknown {
  const shape = errorShapeFor(url);
  return shape ? shape(rendered) : envelope(rendered, requestId);
}

export function envelope(
  { code, message, details }: RenderedError,
  requestId: string,
): ErrorEnvelope {
  return { error: { code, message, requestId, ...(details && { details }) } };
}

/** The HTTP answer to what a port or service refused in its own terms. */
const STATUS_BY_KIND: Record<DomainErrorKind, HttpStatus> = {
  invalid: HttpStatus.BAD_REQUEST,
  conflict: HttpStatus.CONFLICT,
  too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  range_not_satisfiable: HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

function renderDomainError({ kind, code, message, details }: DomainError): RenderedError {
  const headers: Record<string, string> = {};
  if (kind === 'unavailable') headers['Retry-After'] = '5';
  if (kind === 'range_not_satisfiable')
    headers['Content-Range'] = `bytes */${String(details?.size)}`;
  return { status: STATUS_BY_KIND[kind], code, message, headers, details };
}

export function render(exception: unknown): RenderedError {
  if (exception instanceof AppError) {
    const { code, message, headers, details } = exception;
    return { status: exception.getStatus(), code, message, headers, details };
  }
  if (exception instanceof DomainError) return renderDomainError(exception);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { status, code: codeForStatus(status), message: messageOf(exception), headers: {} };
  }
  const status = statusOfFrameworkError(exception);
  if (status) {
    return {
      status,
      code: codeForStatus(status),
      message: (exception as Error).message,
      headers: {},
    };
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    code: 'internal_error',
    message: 'Internal server error',
    headers: {},
  };
}

/** ValidationPipe and friends put a string or a list of strings in `message`. */
function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/** Fastify's own errors (body parser, content type) carry a 4xx `statusCode`. */
function statusOfFrameworkError(exception: unknown): number | undefined {
  const statusCode = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500
    ? statusCode
    : undefined;
}
