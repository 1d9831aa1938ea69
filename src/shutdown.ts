import type { INestApplication, LoggerService } from '@nestjs/common';

/**
 * On SIGTERM/SIGINT: stop accepting, let in-flight requests and jobs finish, close
 * connections and exit 0; exit 1 if that takes longer than `timeoutMs`.
 */
export function closeOnSignals(
  app: INestApplication,
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
    app.close().then(
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
