import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../../config';
import { signatureFreeSerializers } from './signed-url-redaction';

/** `/health/ready`, `/v2/health/ready` and the model readiness routes of `/v2`. */
const READINESS_PROBE = /^\/(health|v2\/health|v2\/models\/[^?]+)\/ready(\?|$)/;

function isReadinessProbe(url: string | undefined): boolean {
  return url !== undefined && READINESS_PROBE.test(url);
}

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
          customLogLevel: (req, res, err) => {
            // A probe's 503 is a state, logged once when it changes (HealthController).
            if (res.statusCode === 503 && isReadinessProbe(req.url)) return 'silent';
            return err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
