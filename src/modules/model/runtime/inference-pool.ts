import { Logger } from '@nestjs/common';
import { extname, join } from 'node:path';
import type { TfBackendSetting } from '../../../config';
import type { BackboneOutput } from './backbone';
import type { TfBackendName } from './backend';
import { InferenceThread } from './inference-thread';

export interface InferencePoolOptions {
  threads: number;
  backend: TfBackendSetting;
}

/** Starts one ready thread. */
export type ThreadSpawner = () => Promise<InferenceThread>;

const RESPAWN_DELAY_MS = 1000;

/**
 * CommonJS that starts inference-worker in a new thread. Compiled (dist/), that is the .js
 * beside this file; from TypeScript sources (jest, `node -r @swc-node/register`), the
 * thread compiles the .ts the same way, since it shares no module loader with its parent.
 */
export function inferenceWorkerSource(): string {
  const extension = extname(__filename);
  const entry = JSON.stringify(join(__dirname, `inference-worker${extension}`));
  if (extension !== '.ts') return `require(${entry});`;
  return `require(${JSON.stringify(require.resolve('@swc-node/register'))}); require(${entry});`;
}

/**
 * Worker threads that each run their own TF.js and model, so inference never blocks the
 * event loop. A call goes to the least busy thread; a thread that dies fails its own calls
 * and is replaced.
 */
export class InferencePool {
  private readonly logger = new Logger(InferencePool.name);
  private readonly threads = new Set<InferenceThread>();
  private closed = false;

  private constructor(
    private readonly spawnThread: ThreadSpawner,
    /** The backend the first thread chose; every thread makes the same choice. */
    readonly backend: TfBackendName,
  ) {}

  /** The pool of the bundled model's inference threads. */
  static start(options: InferencePoolOptions): Promise<InferencePool> {
    const source = inferenceWorkerSource();
    return InferencePool.startWith(options.threads, () =>
      InferenceThread.spawn(source, { backend: options.backend }),
    );
  }

  /** Resolves once all `size` threads are ready; if any fails to start, none is kept. */
  static async startWith(size: number, spawnThread: ThreadSpawner): Promise<InferencePool> {
    const started = await Promise.allSettled(Array.from({ length: size }, spawnThread));
    const threads = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = started.find((s) => s.status === 'rejected');
    if (failure || threads.length === 0) {
      await Promise.all(threads.map((thread) => thread.terminate()));
      throw failure?.reason ?? new RangeError('An inference pool needs at least one thread');
    }
    const pool = new InferencePool(spawnThread, threads[0].backend);
    for (const thread of threads) pool.adopt(thread);
    return pool;
  }

  /** Threads running now. */
  get size(): number {
    return this.threads.size;
  }

  /** Runs `count` images (`pixels` is transferred) on the least busy thread. */
  run(pixels: Float32Array, count: number): Promise<BackboneOutput> {
    let idlest: InferenceThread | undefined;
    for (const thread of this.threads) if (!idlest || thread.load < idlest.load) idlest = thread;
    if (!idlest) return Promise.reject(new Error('No inference thread is running'));
    return idlest.run(pixels, count);
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = [...this.threads];
    this.threads.clear();
    await Promise.all(threads.map((thread) => thread.terminate()));
  }

  private adopt(thread: InferenceThread): void {
    this.threads.add(thread);
    thread.onExit((error) => {
      this.threads.delete(thread);
      this.logger.error(`An inference thread died (${error.message}); starting another`);
      void this.replace();
    });
  }

  private async replace(): Promise<void> {
    while (!this.closed) {
      try {
        const thread = await this.spawnThread();
        if (this.closed) return void (await thread.terminate());
        return this.adopt(thread);
      } catch (error) {
        this.logger.error(`An inference thread failed to start: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, RESPAWN_DELAY_MS).unref());
      }
    }
  }
}
