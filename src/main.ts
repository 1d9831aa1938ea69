import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { CliUsageError, parseCliArgs } from './cli/cli-args';
import { AppConfig, ConfigError, loadConfig } from './config';
import { closeOnSignals } from './shutdown';

async function serve(config: AppConfig): Promise<void> {
  const app = await createApp(config);
  const logger = app.get(Logger);
  closeOnSignals(app, config.http.shutdownTimeoutMs, logger);
  await app.listen({ port: config.http.port, host: config.http.host });
  logger.log(`Vireo ${config.role} listening on ${await app.getUrl()}`, 'Bootstrap');
}

async function main(argv: string[]): Promise<void> {
  const args = parseCliArgs(argv);
  const config = loadConfig(args.role === undefined ? {} : { ROLE: args.role });
  switch (args.command) {
    case 'serve':
      return serve(config);
    case 'migrate':
      throw new CliUsageError('migrate: not available yet');
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof CliUsageError;
  process.stderr.write(
    `vireo: ${known ? (error as Error).message : ((error as Error)?.stack ?? String(error))}\n`,
  );
  process.exit(known ? 2 : 1);
});
