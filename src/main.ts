import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { CliUsageError, parseCliArgs } from './cli/cli-args';
import { createApiKeyCommand } from './cli/create-api-key.command';
import { AppConfig, ConfigError, loadConfig } from './config';
import { BackupError, createBackup, restoreBackup } from './modules/backup';
import { DatabaseBackupError, runMigrations } from './modules/persistence';
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
    case 'backup': {
      const manifest = await createBackup(config, args.dir, print);
      print(`Backup ${manifest.id} written to ${args.dir}`);
      return;
    }
    case 'restore': {
      const outcome = await restoreBackup(config, args.dir, print);
      print(
        outcome === 'restored'
          ? `Restored the backup in ${args.dir}`
          : `The backup in ${args.dir} was restored here already; nothing to do`,
      );
      return;
    }
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Errors whose message says all an operator needs: printed without a stack. */
function isOperatorError(error: unknown): boolean {
  return [ConfigError, CliUsageError, BackupError, DatabaseBackupError].some(
    (kind) => error instanceof kind,
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = isOperatorError(error);
  process.stderr.write(
    `vireo: ${known ? (error as Error).message : ((error as Error)?.stack ?? String(error))}\n`,
  );
  process.exit(error instanceof ConfigError || error instanceof CliUsageError ? 2 : 1);
});
