import { HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError } from '../app-error';
import { errorBody, render, replyWithError } from './error-envelope.filter';
import { REQUEST_ID_HEADER } from './request-id';

/**
 * Errors Fastify answers before any route (and so before Nest's filter) runs: a malformed
 * URL, or a path parameter past `maxParamLength`. Answered in the envelope like the rest.
 */
export function answerFrameworkError(
  error: { code?: string },
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.header(REQUEST_ID_HEADER, request.id);
  replyWithError(request, reply, render(frameworkError(error)));
}

function frameworkError(error: { code?: string }): AppError {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new AppError(
      HttpStatus.URI_TOO_LONG,
      'uri_too_long',
      'A path segment of this URL is longer than any this API takes',
    );
  }
  return new AppError(HttpStatus.BAD_REQUEST, 'bad_url', 'The URL is malformed');
}

/** The URL each connection's latest request came in on, for answers written to the socket. */
const urls = new WeakMap<Socket, string>();

export function rememberUrl(request: FastifyRequest): void {
  urls.set(request.raw.socket, request.url);
}

/**
 * Errors of the connection itself (Node's `clientError`): a request that took longer than
 * the request timeout to arrive, headers too large, bytes that are no HTTP. The answer, in
 * the envelope, goes straight to the socket when nothing was written there yet; then the
 * connection closes.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable && socket.bytesWritten === 0) {
    const rendered = render(clientError(error));
    const requestId = randomUUID();
    const body = JSON.stringify(errorBody(rendered, urls.get(socket) ?? '', requestId));
    socket.write(
      `HTTP/1.1 ${rendered.status} ${STATUS_CODES[rendered.status]}\r\n` +
        `Connection: close\r\n${REQUEST_ID_HEADER}: ${requestId}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function clientError(error: NodeJS.ErrnoException): AppError {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new AppError(
      HttpStatus.REQUEST_TIMEOUT,
      'request_timeout',
      'The request did not arrive in time',
    );
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return new AppError(
      431 as HttpStatus, // Request Header Fields Too Large: not in Nest's enum
      'headers_too_large',
      'The request headers are too large',
    );
  }
  return new AppError(HttpStatus.BAD_REQUEST, 'bad_request', 'The request is not valid HTTP');
}
