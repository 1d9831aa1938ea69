import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export type CliArgs =
  | { command: 'serve'; role?: string }
  | { command: 'migrate'; role?: string }
  | { command: 'keys create'; role?: string; owner: string; scopes: string[]; name: string }
  | { command: 'backup' | 'restore'; role?: string; dir: string };

export class CliUsageError extends Error {}

const USAGE =
  'usage: main.js [serve] [--role web|worker|scheduler|all] | migrate | keys create --owner <email|id> --scopes <a,b> [--name <name>] | backup --out <dir> | restore --from <dir>';

/** `--role` wins over `ROLE`. */
export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        role: { type: 'string' },
        owner: { type: 'string' },
        scopes: { type: 'string' },
        name: { type: 'string' },
        out: { type: 'string' },
        from: { type: 'string' },
      },
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message}; ${USAGE}`);
  }
  const { values, positionals } = parsed;
  const command = positionals.join(' ') || 'serve';
  switch (command) {
    case 'serve':
    case 'migrate':
      return { command, role: values.role };
    case 'keys create':
      if (!values.owner || !values.scopes)
        throw new CliUsageError(`keys create needs --owner and --scopes; ${USAGE}`);
      return {
        command,
        role: values.role,
        owner: values.owner,
        scopes: values.scopes
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        name: values.name ?? 'cli',
      };
    case 'backup':
      if (!values.out) throw new CliUsageError(`backup needs --out <dir>; ${USAGE}`);
      return { command, role: values.role, dir: resolve(values.out) };
    case 'restore':
      if (!values.from) throw new CliUsageError(`restore needs --from <dir>; ${USAGE}`);
      return { command, role: values.role, dir: resolve(values.from) };
    default:
      throw new CliUsageError(`Unknown command "${command}"; ${USAGE}`);
  }
}
