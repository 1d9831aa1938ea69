import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../../config';
import { signatureFreeSerializers } from './signed-url-redaction';

/**
 * JSON logs (pino); every request line carries the request id Fastify assigned. Credentials
 * are redacted: auth headers, and the signatures of signed URLs wherever they show.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // nestjs-pino's default route pattern does not match under Nest 12 + Fastify.
        forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
        pinoHttp: {
          level: config.logLevel,
          base: { role: config.role },
          genReqId: (request: IncomingMessage) => request.id,
          redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
          serializers: signatureFreeSerializers,
          customLogLevel: (_req, res, err) =>
            err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        },
      }),
    }),
  ],
})
export class LoggingModule {}
