import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, get, IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { OnnxGraph } from '../src/modules/model/runtime/onnx/onnx-graph';
import { renderNginxConfig, RunningNginx, startNginx, testNginxConfig } from './support/nginx';
import { freePort } from './support/vireo-process';

const run = async (command: string, args: string[]) =>
  (await promisify(execFile)(command, args)).stdout;

/** An ONNX model of one Identity node, for checking that a runtime loads models. */
function identityModel(): Uint8Array {
  const graph = new OnnxGraph();
  graph.output('y', graph.input('x', [null, 2]));
  return graph.encode('identity');
}

/** There is no Docker engine here: the deployment files are checked by parsing and `nginx -t`. */
describe('docker/', () => {
  it('compose.yaml runs nginx before 2 web replicas, a worker, a scheduler, PostgreSQL, Redis and MinIO', async () => {
    const compose = parse(await readFile(join(__dirname, '../docker/compose.yaml'), 'utf8'), {
      merge: true,
    });
    const services = compose.services as Record<string, { environment?: Record<string, string> }>;
    expect(Object.keys(services).sort()).toEqual(
      ['minio', 'nginx', 'postgres', 'redis', 'scheduler', 'web1', 'web2', 'worker'].sort(),
    );
    const roles = Object.fromEntries(
      Object.entries(services)
        .filter(([, service]) => service.environment?.ROLE)
        .map(([name, service]) => [name, service.environment?.ROLE]),
    );
    expect(roles).toEqual({ web1: 'web', web2: 'web', worker: 'worker', scheduler: 'scheduler' });
    for (const name of ['web1', 'web2', 'worker', 'scheduler']) {
      expect(services[name].environment).toMatchObject({
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*@postgres:5432\//),
        REDIS_URL: 'redis://redis:6379',
        S3_ENDPOINT: 'http://minio:9000',
      });
    }
  });

  it('nginx.conf passes nginx -t', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vireo-nginx-t-'));
    try {
      const path = await renderNginxConfig(['127.0.0.1:3001', '127.0.0.1:3002'], 18080, dir);
      const config = await readFile(path, 'utf8');
      expect(config).toMatch(
        /least_conn;\n\s+server 127\.0\.0\.1:3001 .*\n\s+server 127\.0\.0\.1:3002 /,
      );
      expect(await testNginxConfig(path, dir)).toMatch(/syntax is ok[\s\S]*test is successful/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the Dockerfile builds in stages and runs as a non-root user with a healthcheck', async () => {
    const dockerfile = await readFile(join(__dirname, '../docker/Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/live/m);
    // Both npm ci runs see .npmrc (onnxruntime-node's CUDA download skipped).
    expect(dockerfile.match(/^COPY package\.json package-lock\.json \.npmrc \.\/$/gm)).toHaveLength(
      2,
    );
    expect(dockerfile).toMatch(/prune-onnxruntime\.sh node_modules/);
  });

  it("prune-onnxruntime.sh keeps only onnxruntime-node's linux-x64 binaries, which still run", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vireo-prune-'));
    try {
      const modules = join(dir, 'node_modules');
      const installed = dirname(dirname(require.resolve('onnxruntime-node')));
      await run('mkdir', [modules]);
      // Hard links: a copy of ~290 MB made in an instant, pruned without touching the original.
      for (const pkg of ['onnxruntime-node', 'onnxruntime-common']) {
        await run('cp', ['-rl', join(dirname(installed), pkg), modules]);
      }
      await run('sh', [join(__dirname, '../docker/prune-onnxruntime.sh'), modules]);
      const model = join(dir, 'identity.onnx');
      await writeFile(model, identityModel());

      const bin = join(modules, 'onnxruntime-node/bin/napi-v6');
      expect(await readdir(bin)).toEqual(['linux']);
      expect(await readdir(join(bin, 'linux'))).toEqual(['x64']);
      const loaded = await run(process.execPath, [
        '-e',
        `require(${JSON.stringify(join(modules, 'onnxruntime-node'))}).InferenceSession` +
          `.create(${JSON.stringify(model)}).then(() => console.log('loaded'))`,
      ]);
      expect(loaded.trim()).toBe('loaded');
      expect(await readdir(join(installed, 'bin/napi-v6'))).toContain('win32');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** More than every socket buffer between the upstream and a stalled client can hold. */
const LARGE_ANSWER_BYTES = 64 * 1024 * 1024;
const STALL_MS = 3_000;

/** docker/nginx.conf (Debian's nginx) in front of a stub upstream answering a large event stream. */
describe('docker/nginx.conf locations', () => {
  let upstream: Server;
  let nginx: RunningNginx;
  let base: string;
  let answerSent: Promise<unknown>;

  beforeAll(async () => {
    upstream = createServer((_request, response) => {
      answerSent = once(response, 'finish');
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(Buffer.alloc(LARGE_ANSWER_BYTES, 'a'));
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const { port: upstreamPort } = upstream.address() as { port: number };
    const port = await freePort();
    nginx = await startNginx([`127.0.0.1:${upstreamPort}`], port);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await nginx?.stop();
    upstream?.closeAllConnections();
    upstream?.close();
  });

  /** Whether nginx takes the whole answer off the upstream while the client reads none of it. */
  async function buffersForStalledClient(path: string): Promise<boolean> {
    const response = await new Promise<IncomingMessage>((resolve) =>
      get(`${base}${path}`, resolve),
    );
    response.pause();
    try {
      return await Promise.race([answerSent.then(() => true), sleep(STALL_MS).then(() => false)]);
    } finally {
      response.destroy();
    }
  }

  it('streams server-sent events unbuffered: their location wins over the uploads one', async () => {
    // The neighbouring upload route buffers the same answer, so the stall below is the SSE
    // location's own `proxy_buffering off`.
    expect(await buffersForStalledClient('/v1/images/some-id')).toBe(true);
    expect(await buffersForStalledClient('/v1/images/some-id/events')).toBe(false);
  });
});
