import { parseArgs } from 'node:util';

export type CliCommand = 'serve' | 'migrate';

export interface CliArgs {
  command: CliCommand;
  role?: string;
}

export class CliUsageError extends Error {}

const COMMANDS: readonly CliCommand[] = ['serve', 'migrate'];

/** `main.js [serve|migrate] [--role web|worker|scheduler|all]`; `--role` wins over `ROLE`. */
export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { role: { type: 'string' } },
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
  const [command = 'serve', ...rest] = parsed.positionals;
  if (!COMMANDS.includes(command as CliCommand) || rest.length > 0) {
    throw new CliUsageError(
      `Unknown command "${parsed.positionals.join(' ')}"; expected one of: ${COMMANDS.join(', ')}`,
    );
  }
  return { command: command as CliCommand, role: parsed.values.role };
}
