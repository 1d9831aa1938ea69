/**
 * Upload throughput: `POST /v1/images` (multipart, ~50 KiB JPEGs, 32 connections) and the
 * presigned path (`POST /v1/uploads`, `PUT` to the link, `POST .../complete`), on the embedded
 * defaults (PGlite, local disk, in-process queue) and as the web role on PostgreSQL + Redis,
 * beside a bare Fastify route that streams the same multipart bodies to disk, in one run.
 * Every request carries other bytes (a counter after the JPEG's end marker), so deduplication
 * never short-cuts an upload; processing is paused (this measures the upload path, not sharp).
 *
 * Each target runs in a process of its own (`support/upload-target.ts`, logs at the default
 * level to /dev/null) and the load comes from this one, so the CPU time each target spent per
 * upload is its own: on 2 shared cores it swings far less than uploads/s. Rounds rotate the
 * order of the targets; the summary shows medians and both ratios to the bare route.
 *
 *   node -r @swc-node/register bench/upload.ts
 *
 * BENCH_DURATION_S: seconds per run (default 8); BENCH_ROUNDS (default 3);
 * BENCH_TARGETS: comma-separated subset of `direct-pglite,presigned-pglite,direct-postgres,
 * presigned-postgres` (the bare route always runs); BENCH_CPU_PROF_DIR: each target writes a
 * `--cpu-prof` profile there when it ends.
 *
 * A change measured before and after in one run (the only comparison this noisy machine
 * allows): BENCH_BEFORE_TREE names a copy of the sources before the change (e.g.
 * `git archive HEAD~1 | tar -x -C /tmp/before`, with `node_modules` and `src/generated`
 * linked from here); every Vireo target then also runs from that tree, as `<target>@before`.
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { copyEmptyPglite } from '../test/support/databases';
import { testImages } from '../test/support/images';
import { createTestDatabase } from '../test/support/postgres';
import { TEST_REDIS_URL, uniqueRedisPrefix } from '../test/support/services';
import { freePort } from '../test/support/vireo-process';
import { LoadResult, runLoad } from './support/load';
import type { TargetReady } from './support/upload-target';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { BOUNDARY } = require('./support/unique-multipart-request.js') as { BOUNDARY: string };

const CONNECTIONS = 32;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_S = 2;
const ADMIN_KEY = 'vir_benchadmin_0123456789abcdefghijABCDEFGHIJ';
const SETUP_REQUEST = join(__dirname, 'support', 'unique-multipart-request.js');
const TARGET_MODULE = join(__dirname, 'support', 'upload-target.ts');
const BEFORE_TREE = process.env.BENCH_BEFORE_TREE;
const PROFILE_DIR = process.env.BENCH_CPU_PROF_DIR;
const ALL_TARGETS = ['direct-pglite', 'presigned-pglite', 'direct-postgres', 'presigned-postgres'];

interface Target {
  name: string;
  ready: TargetReady;
  child: ChildProcess;
  /** CPU time (user + system, µs) the target's process has used so far. */
  cpuUs(): Promise<number>;
  close(): Promise<void>;
}

/** A measured run: the load client's figures and the target's own CPU time per upload. */
interface Run extends LoadResult {
  target: string;
  cpuUsPerUpload: number;
}

async function startTarget(
  name: string,
  env: Record<string, string>,
  cleanup: () => Promise<unknown>,
  tree?: string,
): Promise<Target> {
  const child = fork(TARGET_MODULE, [], {
    cwd: tree,
    execArgv: [
      '-r',
      '@swc-node/register',
      ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
    ],
    env: { PATH: process.env.PATH ?? '', ...env, ...(tree && { BENCH_APP_ROOT: tree }) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const [message] = (await Promise.race([
    once(child, 'message'),
    exited.then(() => {
      throw new Error(`${name} exited before it was ready`);
    }),
  ])) as [{ ready: TargetReady }];
  return {
    name,
    ready: message.ready,
    child,
    cpuUs: async () => {
      const reply = once(child, 'message') as Promise<[{ cpu: NodeJS.CpuUsage }]>;
      child.send('cpu');
      const [{ cpu }] = await reply;
      return cpu.user + cpu.system;
    },
    close: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await cleanup();
    },
  };
}

async function bareTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-bench-bare-'));
  return startTarget('bare Fastify -> disk', { BENCH_TARGET: 'bare', BENCH_BARE_DIR: dir }, () =>
    rm(dir, { recursive: true, force: true }),
  );
}

async function vireoTarget(
  name: string,
  database: 'pglite' | 'postgres',
  tree?: string,
): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vireo-bench-upload-'));
  const port = await freePort();
  const db = database === 'postgres' ? await createTestDatabase() : undefined;
  if (!db) await copyEmptyPglite(join(dataDir, 'db'));
  const env = {
    BENCH_TARGET: 'vireo',
    DATA_DIR: dataDir,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ADMIN_API_KEY: ADMIN_KEY,
    MODEL_PRELOAD: 'false',
    RATE_LIMIT_UPLOADS_PER_MIN: '100000000',
    ...(db && {
      ROLE: 'web',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: uniqueRedisPrefix(),
    }),
  };
  const cleanup = async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  return startTarget(name, env, cleanup, tree);
}

/** Multipart uploads from autocannon (in a worker thread), each with other bytes. */
function multipartLoad(target: Target, durationS: number): Promise<LoadResult> {
  return runLoad(target.name, {
    url: target.ready.url,
    connections: CONNECTIONS,
    durationS,
    method: 'POST',
    headers: {
      ...target.ready.headers,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    },
    setupRequest: SETUP_REQUEST,
  });
}

/** `POST /v1/uploads`, `PUT` the bytes to the link, `POST` the completion: one upload. */
async function presignedUpload(target: Target, jpeg: Buffer, n: number): Promise<boolean> {
  const { origin, headers } = target.ready;
  const body = Buffer.concat([jpeg, Buffer.from(`${randomUUID()}-${n}`)]);
  const started = await fetch(`${origin}/v1/uploads`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ contentType: 'image/jpeg', size: body.length }),
  });
  if (started.status !== 201) return started.body?.cancel().then(() => false) ?? false;
  const link = (await started.json()) as {
    uploadUrl: string;
    headers: Record<string, string>;
    completeUrl: string;
  };
  const put = await fetch(link.uploadUrl, { method: 'PUT', headers: link.headers, body });
  await put.arrayBuffer();
  if (put.status >= 300) return false;
  const completed = await fetch(link.completeUrl, { method: 'POST', headers });
  await completed.arrayBuffer();
  return completed.status === 202;
}

/** `CONNECTIONS` clients, each uploading through the presigned path one upload after another. */
async function presignedLoad(target: Target, durationS: number): Promise<LoadResult> {
  const jpeg = await testImages.noiseJpeg(50 * 1024);
  const latencies: number[] = [];
  let failed = 0;
  let counter = 0;
  const started = performance.now();
  const deadline = started + durationS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const ok = await presignedUpload(target, jpeg, counter++).catch(() => false);
        if (ok) latencies.push(performance.now() - t0);
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => Math.round(latencies[Math.floor(p * (latencies.length - 1))]);
  return {
    name: target.name,
    succeeded: latencies.length,
    requestsPerSec: latencies.length / seconds,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    errors: failed,
    non2xx: 0,
  };
}

function loadFor(target: Target): (durationS: number) => Promise<LoadResult> {
  return target.name.includes('presigned')
    ? (durationS) => presignedLoad(target, durationS)
    : (durationS) => multipartLoad(target, durationS);
}

async function measured(target: Target, durationS: number): Promise<Run> {
  const before = await target.cpuUs();
  const result = await loadFor(target)(durationS);
  const used = (await target.cpuUs()) - before;
  return { ...result, target: target.name, cpuUsPerUpload: used / Math.max(1, result.succeeded) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function report(targets: Target[], runs: Run[]): void {
  console.log('\nEvery run');
  console.table(
    runs.map((r) => ({
      target: r.target,
      'uploads/s': Math.round(r.requestsPerSec),
      'CPU µs/upload': Math.round(r.cpuUsPerUpload),
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      'errors+non2xx': r.errors + r.non2xx,
    })),
  );
  const of = (name: string) => runs.filter((r) => r.target === name);
  const summary = targets.map((t) => ({
    target: t.name,
    uploadsPerSec: median(of(t.name).map((r) => r.requestsPerSec)),
    cpuUs: median(of(t.name).map((r) => r.cpuUsPerUpload)),
    p99Ms: median(of(t.name).map((r) => r.p99Ms)),
  }));
  const [bare] = summary;
  console.log(
    `\nMedians of ${ROUNDS} rounds x ${DURATION_S} s, ${CONNECTIONS} connections, ` +
      `~50 KiB JPEGs (CPU: the target's own process)`,
  );
  console.table(
    summary.map((s) => ({
      target: s.target,
      'uploads/s': Math.round(s.uploadsPerSec),
      'vs bare (uploads/s)': `${(s.uploadsPerSec / bare.uploadsPerSec).toFixed(2)}x`,
      'CPU µs/upload': Math.round(s.cpuUs),
      'vs bare (CPU)': `${(bare.cpuUs / s.cpuUs).toFixed(2)}x`,
      'p99 ms': s.p99Ms,
    })),
  );
}

async function main(): Promise<void> {
  const jpeg = await testImages.noiseJpeg(50 * 1024);
  const jpegDir = await mkdtemp(join(tmpdir(), 'vireo-bench-jpeg-'));
  process.env.BENCH_JPEG_PATH = join(jpegDir, 'bench.jpg');
  await writeFile(process.env.BENCH_JPEG_PATH, jpeg);
  const wanted = (process.env.BENCH_TARGETS ?? ALL_TARGETS.join(',')).split(',');
  const targets: Target[] = [];
  try {
    targets.push(await bareTarget());
    for (const database of ['pglite', 'postgres'] as const) {
      const names = ['direct', 'presigned']
        .map((path) => `${path}-${database}`)
        .filter((name) => wanted.includes(name));
      // One app per database (and tree): both paths of a database share it.
      if (names.length === 0) continue;
      const app = await vireoTarget(names[0], database);
      targets.push(app, ...names.slice(1).map((name) => ({ ...app, name })));
      if (BEFORE_TREE) {
        const before = await vireoTarget(`${names[0]}@before`, database, BEFORE_TREE);
        targets.push(
          before,
          ...names.slice(1).map((name) => ({ ...before, name: `${name}@before` })),
        );
      }
    }
    for (const target of targets) await loadFor(target)(WARMUP_S);
    const runs: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const run = await measured(target, DURATION_S);
        runs.push(run);
        console.log(
          `round ${round + 1}: ${run.target} ${Math.round(run.requestsPerSec)} uploads/s, ` +
            `${Math.round(run.cpuUsPerUpload)} µs CPU/upload`,
        );
      }
    }
    report(targets, runs);
  } finally {
    const closed = new Set<ChildProcess>();
    for (const target of targets) {
      if (closed.has(target.child)) continue;
      closed.add(target.child);
      await target.close();
    }
    await rm(jpegDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
