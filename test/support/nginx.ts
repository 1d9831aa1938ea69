import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './eventually';

export const NGINX_BIN = '/usr/sbin/nginx';
const NGINX_CONF = join(__dirname, '../../docker/nginx.conf');

/**
 * docker/nginx.conf as it is, but with the upstream's `server` lines pointing at local
 * replicas, listening on `listenPort`, and its temp files in `dir`.
 */
export async function renderNginxConfig(
  upstreams: string[],
  listenPort: number,
  dir: string,
): Promise<string> {
  const template = await readFile(NGINX_CONF, 'utf8');
  const servers = upstreams
    .map((address) => `    server ${address} max_fails=1 fail_timeout=10s;`)
    .join('\n');
  const rendered = template
    .replace(/^(\s*server web\d+:3000[^\n]*\n)+/m, `${servers}\n`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${listenPort};`)
    .replaceAll('/tmp/', `${dir}/`);
  const path = join(dir, 'nginx.conf');
  await writeFile(path, rendered);
  return path;
}

export async function testNginxConfig(path: string, dir: string): Promise<string> {
  const { stderr } = await promisify(execFile)(NGINX_BIN, [
    '-t',
    '-c',
    path,
    '-p',
    dir,
    '-e',
    'stderr',
  ]);
  return stderr;
}

export interface RunningNginx {
  stop: () => Promise<void>;
  /** What nginx wrote to its error log (stderr) so far. */
  errors: () => string;
}

/** Runs nginx in the foreground with the rendered config until `stop()`; resolves once it listens. */
export async function startNginx(upstreams: string[], listenPort: number): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-nginx-'));
  const path = await renderNginxConfig(upstreams, listenPort, dir);
  const child: ChildProcess = spawn(
    NGINX_BIN,
    ['-c', path, '-p', dir, '-e', 'stderr', '-g', 'daemon off;'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let errors = '';
  child.stderr?.on('data', (chunk) => (errors += chunk));
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${errors}`);
    return (await accepts(listenPort)) || undefined;
  });
  return {
    errors: () => errors,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
