import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stablePort } from './stable-port';

const run = promisify(execFile);

/**
 * How long pg_ctl waits for a start or stop (its default is 60 s). A start after `-m immediate`
 * replays the WAL first; on a loaded 2-core machine that and the boot can take longer.
 */
const PG_CTL_TIMEOUT_S = '300';

export interface PostgresCluster {
  /** URL of the cluster's `postgres` database (user postgres, trust). */
  url: string;
  /** `pg_ctl stop -m immediate`: the server quits without a checkpoint, as if it crashed. */
  stopImmediately(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Debian's newest PostgreSQL server binaries. */
async function postgresBin(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('No PostgreSQL server in /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/**
 * A PostgreSQL cluster of the test's own (`initdb` in a temp dir, `pg_ctl` on a free port).
 * The server refuses to run as root, so as root its tools run as the `postgres` user.
 */
export async function createPostgresCluster(): Promise<PostgresCluster> {
  const bin = await postgresBin();
  const dir = await mkdtemp(join(tmpdir(), 'vireo-faults-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const tool = (name: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args])
      : run(join(bin, name), args);
  const data = join(dir, 'data');
  // Outside the ephemeral range: the server gets it back when it starts again (see stablePort).
  const port = await stablePort();
  await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = async () => {
    const log = join(dir, 'server.log');
    await tool('pg_ctl', [
      '-D',
      data,
      '-l',
      log,
      '-o',
      options,
      '-w',
      '-t',
      PG_CTL_TIMEOUT_S,
      'start',
    ]).catch(async (error: Error) => {
      // pg_ctl says only that the server did not start; its log says why.
      const said = await readFile(log, 'utf8').catch(() => '');
      throw new Error(`${error.message}\nserver.log: ${said.slice(-2000)}`);
    });
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stopImmediately: async () => {
      await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', PG_CTL_TIMEOUT_S, 'stop']);
    },
    destroy: async () => {
      await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
