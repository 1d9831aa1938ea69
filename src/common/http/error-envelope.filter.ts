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
import { dependencyUnavailable, isDependencyOutage } from './dependency-outage';
import { codeForStatus, ErrorEnvelope } from './error-envelope';

export interface RenderedError {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
  details?: Record<string, unknown>;
}

/**
 * Renders every error as the envelope `{ error: { code, message, requestId } }`; never a stack.
 * `/v2` (Open Inference Protocol) routes answer `{ error: message }` as that protocol requires.
 */
@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (isDependencyOutage(exception)) {
      // An outage is a state readiness reports, not a fault of this request: no stack.
      this.logger.warn(`request ${request.id} met an outage: ${(exception as Error).message}`);
      replyWithError(request, reply, render(dependencyUnavailable()));
      return;
    }
    const rendered = render(exception);
    // An AppError is an answer chosen on purpose (e.g. 503 not_ready); anything else is a fault.
    if (rendered.status >= 500 && !(exception instanceof AppError)) {
      this.logger.error({ err: exception, requestId: request.id }, 'request failed');
    }
    replyWithError(request, reply, rendered);
  }
}

/** Sends a rendered error in the shape the route speaks. */
export function replyWithError(
  request: FastifyRequest,
  reply: FastifyReply,
  rendered: RenderedError,
): void {
  reply.status(rendered.status).headers(rendered.headers);
  reply.send(errorBody(rendered, request.url, request.id));
}

export function errorBody(
  rendered: RenderedError,
  url: string,
  requestId: string,
): ErrorEnvelope | { error: string } {
  if (isInferenceProtocolRoute(url)) return { error: rendered.message };
  const { code, message, details } = rendered;
  return { error: { code, message, requestId, ...(details && { details }) } };
}

function isInferenceProtocolRoute(url: string): boolean {
  return url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');
}

export function render(exception: unknown): RenderedError {
  if (exception instanceof AppError) {
    const { code, message, headers, details } = exception;
    return { status: exception.getStatus(), code, message, headers, details };
  }
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
