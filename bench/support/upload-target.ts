/**
 * One upload target of `bench/upload.ts`, in a process of its own (forked with an IPC channel),
 * so its CPU time is its own: `BENCH_TARGET=bare` is Fastify + @fastify/multipart streaming each
 * file to a new file on disk (the floor); `BENCH_TARGET=vireo` is the app as `main.ts` builds it
 * (config from the environment, logs at their configured level to stdout), with processing
 * paused. Sends `{ url, headers }` once listening; answers every `'cpu'` message with
 * `process.cpuUsage()`.
 */
import 'reflect-metadata';
import fastifyMultipart from '@fastify/multipart';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type * as AppFactory from '../../src/app.factory';
import type * as Config from '../../src/config';
import type * as Queue from '../../src/modules/queue/job-queue';

// @swc-node/register maps every stack trace through source maps: production does not, and an
// app that makes Errors on its hot path (Prisma does, per query) would pay for it here.
delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;

/** The app's sources: this tree's, or BENCH_APP_ROOT's (the same app before a change). */
const APP_ROOT = process.env.BENCH_APP_ROOT ?? join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(path: string): T => require(join(APP_ROOT, 'src', path)) as T;

export interface TargetReady {
  /** Where multipart uploads go. */
  url: string;
  /** The app's origin (for the presigned path); the bare route has none. */
  origin?: string;
  headers: Record<string, string>;
}

async function bare(dir: string): Promise<TargetReady> {
  const app = Fastify();
  await app.register(fastifyMultipart, { limits: { fileSize: 20 * 1024 * 1024 } });
  app.post('/upload', async (request, reply) => {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        await pipeline(part.file, createWriteStream(join(dir, randomUUID()), { flags: 'wx' }));
      }
    }
    return reply.status(202).send({ ok: true });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/upload`, headers: {} };
}

async function vireo(adminKey: string): Promise<TargetReady> {
  const { loadConfig } = load<typeof Config>('config');
  const { createApp } = load<typeof AppFactory>('app.factory');
  const { JobQueue } = load<typeof Queue>('modules/queue/job-queue');
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen({ port: config.http.port, host: '127.0.0.1' });
  await app.get(JobQueue).pause('process-image');
  const origin = `http://127.0.0.1:${config.http.port}`;
  const answer = await fetch(`${origin}/v1/keys`, {
    method: 'POST',
    headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', scopes: ['images:write', 'images:read'] }),
  });
  if (answer.status !== 201) throw new Error(`POST /v1/keys answered ${answer.status}`);
  const { key } = (await answer.json()) as { key: string };
  return { url: `${origin}/v1/images`, origin, headers: { 'x-api-key': key } };
}

async function main(): Promise<void> {
  const { BENCH_TARGET, BENCH_BARE_DIR, ADMIN_API_KEY } = process.env;
  const ready =
    BENCH_TARGET === 'bare' ? await bare(BENCH_BARE_DIR ?? '.') : await vireo(ADMIN_API_KEY ?? '');
  // A clean exit, so that `--cpu-prof` (BENCH_CPU_PROF_DIR) writes its profile.
  process.on('SIGTERM', () => process.exit(0));
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.send?.({ ready });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
