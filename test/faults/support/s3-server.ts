import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stablePort } from './stable-port';

export interface S3Server {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** SIGKILLs the server, as a crash would (every open connection is cut). */
  stop(): Promise<void>;
  /** Serves the same objects again on the same port. */
  start(): Promise<void>;
  destroy(): Promise<void>;
  /** What the server wrote to stderr: errors it logged instead of dying. */
  errors(): string;
}

/** s3rver with a store that is safe under concurrent requests; see the script's header. */
const CHILD = join(__dirname, 's3rver-child.js');
/** A Node process booting on a loaded 2-core machine. */
const START_TIMEOUT_MS = 60_000;

/**
 * s3rver in a process of its own that can be killed and started again over the same
 * directory, on a port outside the ephemeral range (see `stablePort`). Not in the test's
 * process: s3rver throws from a read stream when an object is deleted while it is being read,
 * which would fail the test run itself.
 */
export async function startS3Server(): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'vireo-faults-s3-'));
  const port = await stablePort();
  let child: ChildProcess | undefined;
  let errors = '';
  const start = async () => {
    const started = spawn(process.execPath, [CHILD, String(port), directory], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let output = '';
    started.stdout.on('data', (chunk) => (output += chunk));
    started.stderr.on('data', (chunk) => {
      errors += chunk;
      process.stderr.write(chunk);
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!output.includes('s3rver listening')) {
      if (started.exitCode !== null) {
        throw new Error(`s3rver exited (${started.exitCode}): ${errors.slice(-2000)}`);
      }
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`s3rver did not listen within ${START_TIMEOUT_MS} ms`);
      }
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
    errors: () => errors,
    destroy: async () => {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
