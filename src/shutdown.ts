import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';

const IDLE_SWEEP_MS = 50;

/**
 * On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, then close the modules
 * (workers finish their jobs, connections close) and exit 0; exit 1 past `timeoutMs`.
 */
export function closeOnSignals(
  app: NestFastifyApplication,
  timeoutMs: number,
  logger: LoggerService,
): void {
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: draining (at most ${timeoutMs} ms)`, 'Shutdown');
    setTimeout(() => {
      logger.error(
        `Shutdown took longer than ${timeoutMs} ms; exiting anyway`,
        undefined,
        'Shutdown',
      );
      process.exit(1);
    }, timeoutMs).unref();
    drain(app).then(
      () => {
        logger.log('Closed cleanly', 'Shutdown');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`, undefined, 'Shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

/**
 * Nest's `close()` destroys modules before it closes the HTTP server, so requests still in
 * flight would lose their database. Close HTTP first; keep-alive connections that go idle
 * once their last response is sent are closed as they do.
 */
async function drain(app: NestFastifyApplication): Promise<void> {
  const server = app.getHttpServer() as Server;
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  try {
    await app.getHttpAdapter().close();
  } finally {
    clearInterval(sweep);
  }
  await app.close();
}
