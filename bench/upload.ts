/**
 * Uploads/s and p50/p99 latency of `POST /v1/images` (multipart, 50 KiB JPEGs, 32
 * connections) on the embedded defaults, beside a bare Fastify route that streams the same
 * multipart bodies to disk, in the same run, as a ratio. Every request carries different bytes
 * (a counter after the JPEG's end marker), so deduplication never short-cuts the upload.
 * Processing is paused during the run: this measures the upload path, not sharp.
 *
 *   node -r @swc-node/register bench/upload.ts
 *
 * BENCH_DURATION_S (default 10); BENCH_DATABASE=postgres runs Vireo on a throwaway database of
 * the test PostgreSQL instead of the embedded PGlite.
 */
import fastifyMultipart from '@fastify/multipart';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { JobQueue } from '../src/modules/queue/job-queue';
import { bootApp } from '../test/support/app';
import { testImages } from '../test/support/images';
import { createTestDatabase } from '../test/support/postgres';
import { freePort } from '../test/support/vireo-process';
import { printComparison, runLoad } from './support/load';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BOUNDARY } = require('./support/unique-multipart-request.js') as { BOUNDARY: string };

const CONNECTIONS = 32;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP_S = 2;
const ADMIN_KEY = 'vir_benchadmin_0123456789abcdefghijABCDEFGHIJ';
const SETUP_REQUEST = join(__dirname, 'support', 'unique-multipart-request.js');

/** Multipart uploads, each with other bytes (the client runs in a worker thread). */
function upload(name: string, url: string, durationS: number, headers = {}) {
  return runLoad(name, {
    url,
    connections: CONNECTIONS,
    durationS,
    method: 'POST',
    headers: { ...headers, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    setupRequest: SETUP_REQUEST,
  });
}

/** The floor: Fastify + @fastify/multipart streaming each file to a new file on disk. */
async function bareFastify(dir: string) {
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
  const port = await freePort();
  await app.listen({ port, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${port}/upload`, close: () => app.close() };
}

async function vireo() {
  const port = await freePort();
  const db = process.env.BENCH_DATABASE === 'postgres' ? await createTestDatabase() : undefined;
  const app = await bootApp({
    ...(db && { DATABASE_URL: db.url }),
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ADMIN_API_KEY: ADMIN_KEY,
    RATE_LIMIT_UPLOADS_PER_MIN: '100000000',
  });
  await app.app.listen({ port, host: '127.0.0.1' });
  await app.app.get(JobQueue).pause('process-image');
  const key = await app
    .http()
    .post('/v1/keys')
    .set('authorization', `Bearer ${ADMIN_KEY}`)
    .send({ name: 'bench', scopes: ['images:write'] })
    .expect(201);
  return {
    url: `http://127.0.0.1:${port}/v1/images`,
    headers: { 'x-api-key': key.body.key as string },
    close: async () => {
      await app.close();
      await db?.drop();
    },
  };
}

async function main(): Promise<void> {
  const jpeg = await testImages.noiseJpeg(50 * 1024);
  const dir = await mkdtemp(join(tmpdir(), 'vireo-bench-bare-'));
  process.env.BENCH_JPEG_PATH = join(dir, 'bench.jpg');
  await writeFile(process.env.BENCH_JPEG_PATH, jpeg);
  const bare = await bareFastify(dir);
  const app = await vireo();
  try {
    await upload('warm-up', bare.url, WARMUP_S);
    await upload('warm-up', app.url, WARMUP_S, app.headers);
    const results = [
      await upload('bare Fastify -> disk', bare.url, DURATION_S),
      await upload('POST /v1/images (Vireo)', app.url, DURATION_S, app.headers),
    ];
    printComparison(
      `${jpeg.length} B JPEGs, ${CONNECTIONS} connections, ${DURATION_S} s each (uploads/s)`,
      results,
    );
  } finally {
    await app.close();
    await bare.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
