import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { eventually } from '../../support/eventually';
import { stablePort } from './stable-port';

export interface RedisServer {
  url: string;
  /** SIGKILLs the server: every key is gone with it (no persistence). */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
}

/** redis-server starts in milliseconds; on a loaded 2-core machine, in seconds. */
const START_TIMEOUT_MS = 60_000;

/**
 * A `redis-server` of the test's own without persistence (`--save ""`), on a port outside the
 * ephemeral range, which it gets back when it starts again (see `stablePort`).
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await stablePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const spawned = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = spawned;
    let output = '';
    spawned.stdout?.on('data', (chunk) => (output += chunk));
    spawned.stderr?.on('data', (chunk) => (output += chunk));
    await eventually(async () => {
      if (spawned.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
      return output.includes('Ready to accept connections') || undefined;
    }, START_TIMEOUT_MS).catch((error: Error) => {
      spawned.kill('SIGKILL');
      throw new Error(`${error.message}: redis-server said: ${output.slice(-2000)}`);
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    kill: async () => {
      // A process killed by a signal has no exit code, only a signal code.
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
