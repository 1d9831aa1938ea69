import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { CliUsageError, parseCliArgs } from './cli/cli-args';
import { createApiKeyCommand } from './cli/create-api-key.command';
import { AppConfig, ConfigError, loadConfig } from './config';
import { runMigrations } from './modules/persistence';
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
    case 'migrate': {
      const applied = await runMigrations(config.database);
      process.stdout.write(
        applied.length ? `Applied: ${applied.join(', ')}\n` : 'Nothing to apply\n',
      );
      return;
    }
    case 'keys create':
      process.stdout.write(`${await createApiKeyCommand(config, args)}\n`);
      return;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof CliUsageError;
  process.stderr.write(
    `vireo: ${known ? (error as Error).message : ((error as Error)?.stack ?? String(error))}\n`,
  );
  process.exit(known ? 2 : 1);
});
