import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/vireo-process';

export interface S3Server {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** SIGKILLs the server, as a crash would (every open connection is cut). */
  stop(): Promise<void>;
  /** Serves the same objects again on the same port. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Runs s3rver on `port` over `directory` and says so once it listens. */
const SERVE = `
// s3rver lets a write stream's ENOENT in its own staging folder escape as an unhandled
// 'error' event, which ended the whole stand-in mid-suite: one request fails, not the server.
process.on('uncaughtException', (error) => console.error('s3rver:', error.message));
const S3rver = require('s3rver');
const [port, directory] = process.argv.slice(1);
new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory })
  .run()
  .then(() => console.log('s3rver listening'));
`;

/**
 * s3rver in a process of its own that can be killed and started again over the same
 * directory. Not in the test's process: s3rver throws from a read stream when an object is
 * deleted while it is being read, which would fail the test run itself.
 */
export async function startS3Server(): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'vireo-faults-s3-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(process.execPath, ['-e', SERVE, String(port), directory], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = started;
    let output = '';
    started.stdout.on('data', (chunk) => (output += chunk));
    while (!output.includes('s3rver listening')) {
      if (started.exitCode !== null) throw new Error(`s3rver exited (${started.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    // s3rver's built-in account.
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    start,
    stop,
    destroy: async () => {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
