import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Loading the modules alone took 24 s with the 2-core machine at load average 35. */
const READY_TIMEOUT_MS = 120_000;

export const MAIN_JS = join(__dirname, '../../dist/main.js');

export interface VireoProcess {
  url: string;
  port: number;
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  /** Sends `signal` and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Tries to start on another free port when the one picked was taken before the process bound
 * it: on a loaded machine a process takes many seconds (once more than 60) to get there, and
 * `listen(0)` by anything else on the machine may hand out the same port meanwhile.
 */
const LISTEN_ATTEMPTS = 3;

/** Runs the built binary (`dist/main.js`) and waits until it listens. */
export async function startVireo(
  env: Record<string, string>,
  args: string[] = [],
  options: { readyTimeoutMs?: number } = {},
): Promise<VireoProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startVireoOnce(env, args, options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= LISTEN_ATTEMPTS) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function startVireoOnce(
  env: Record<string, string>,
  args: string[],
  { readyTimeoutMs = READY_TIMEOUT_MS }: { readyTimeoutMs?: number },
): Promise<VireoProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN_JS, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  await waitFor(
    () => output.includes('listening on'),
    exited,
    () => output,
    readyTimeoutMs,
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw output.includes('EADDRINUSE') ? new PortTakenError(error.message) : error;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

async function waitFor(
  ready: () => boolean,
  exited: Promise<unknown>,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (gone) throw new Error(`vireo exited before listening:\n${output()}`);
    if (Date.now() > deadline)
      throw new Error(`vireo did not listen within ${timeoutMs / 1000} s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs the built binary to completion. */
export async function runVireo(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, [MAIN_JS, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}
