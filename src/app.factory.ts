import type { DynamicModule, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import { streamBinaryBodies } from './common/http/binary-body';
import {
  answerClientError,
  answerFrameworkError,
  rememberUrl,
} from './common/http/framework-errors';
import { checkParsedBodies } from './common/http/json-input';
import { RouteInputInterceptor } from './common/http/route-input.interceptor';
import { RequestValidationPipe } from './common/http/request-validation.pipe';
import { refuseInvalidUrlCharacters } from './common/http/url-input';
import { REQUEST_ID_HEADER, requestIdFor } from './common/http/request-id';
import { applyRouteBodyLimits } from './common/http/route-body-limit';
import { AppConfig } from './config';
import { openApiDocument } from './openapi/openapi-document';

/**
 * Makes the Nest application of a root module. Tests build it through a testing module instead,
 * to replace a provider at the edge (the clock).
 */
export type AppBuilder = (
  root: DynamicModule,
  adapter: FastifyAdapter,
  options: NestApplicationOptions,
) => Promise<NestFastifyApplication>;

const nestFactory: AppBuilder = (root, adapter, options) =>
  NestFactory.create<NestFastifyApplication>(root, adapter, options);

/** Builds (but does not start listening) the application for `config.role`. */
export async function createApp(
  config: AppConfig,
  build: AppBuilder = nestFactory,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.maxJsonBytes,
    trustProxy: config.http.trustProxy === false ? false : config.http.trustProxy,
    genReqId: assignRequestId,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // The whole request, body included, must arrive within this (slow clients hold sockets).
    requestTimeout: config.http.requestTimeoutMs,
    http: connectionTimeouts(config.http.requestTimeoutMs),
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const app = await build(AppModule.forRole(config), adapter, {
    bufferLogs: true,
    // A failed boot rejects (and main prints it) instead of Nest calling process.exit.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    rememberUrl(request);
  });
  refuseInvalidUrlCharacters(fastify);
  streamBinaryBodies(fastify);
  checkParsedBodies(fastify);
  applyRouteBodyLimits(fastify, { tensor: config.http.maxTensorBytes });
  // Nest 12's built-in equivalent of helmet: the same headers and defaults as helmet 8.
  app.useSecurityHeaders({ crossOriginResourcePolicy: { policy: 'same-site' } });
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.http.corsOrigins.includes('*') ? true : config.http.corsOrigins,
      exposedHeaders: [
        'X-Request-Id',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
        'Retry-After',
      ],
      maxAge: 600,
    });
  }
  app.useGlobalPipes(new RequestValidationPipe());
  app.useGlobalInterceptors(new RouteInputInterceptor());
  if (config.runs('web')) serveOpenApi(app);
  await app.init();
  return app;
}

/**
 * Node checks request deadlines on an interval (30 s by default): often enough to hold the
 * timeout to a few percent. Headers get no longer than the whole request.
 */
function connectionTimeouts(requestTimeoutMs: number) {
  return {
    headersTimeout: Math.min(60_000, requestTimeoutMs),
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(requestTimeoutMs / 10))),
  };
}

/** Fastify's id, also set on the raw request so pino-http logs the same one. */
function assignRequestId(raw: IncomingMessage): string {
  const id = requestIdFor(raw);
  raw.id = id;
  return id;
}

function serveOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, openApiDocument(app), { jsonDocumentUrl: 'openapi.json' });
}
