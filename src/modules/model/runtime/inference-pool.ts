import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { workerSource } from '../../../common/threads/worker-source';
import type { BackboneOutput } from './backbone';
import type { InferenceEngine } from './inference-engine';
import type { HeadSpec, InferenceWorkerData } from './inference-messages';
import { InferenceThread } from './inference-thread';

export interface InferencePoolOptions extends InferenceWorkerData {
  threads: number;
}

/** Starts one ready thread. */
export type ThreadSpawner = () => Promise<InferenceThread>;

const RESPAWN_DELAY_MS = 1000;

/** CommonJS that starts inference-worker in a new thread. */
export function inferenceWorkerSource(): string {
  return workerSource(__filename, __dirname, 'inference-worker');
}

/**
 * Worker threads that each run the backbone and every loaded head, so inference never blocks
 * the event loop. A call goes to the least busy thread; a thread that dies fails its own
 * calls and is replaced (with the heads loaded then).
 */
export class InferencePool {
  private readonly logger = new Logger(InferencePool.name);
  private readonly threads = new Set<InferenceThread>();
  /** Heads loaded in every thread, by key: a new thread loads them before it takes calls. */
  private readonly heads = new Map<string, HeadSpec>();
  private closed = false;

  private constructor(
    private readonly spawnThread: ThreadSpawner,
    /** What the first thread runs on; every thread makes the same choice. */
    readonly engine: InferenceEngine,
    /** Why `auto` runs TF.js, when ONNX Runtime did not start. */
    readonly fallback?: string,
  ) {}

  /** The pool of the bundled model's inference threads. */
  static start({ threads, ...data }: InferencePoolOptions): Promise<InferencePool> {
    const source = inferenceWorkerSource();
    return InferencePool.startWith(threads, () => InferenceThread.spawn(source, data));
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
    const [first] = threads;
    const pool = new InferencePool(spawnThread, first.engine, first.fallback);
    for (const thread of threads) pool.adopt(thread);
    return pool;
  }

  /** Threads running now. */
  get size(): number {
    return this.threads.size;
  }

  /** Runs `count` images (`pixels` is transferred) on the least busy thread. */
  run(pixels: Float32Array, count: number): Promise<BackboneOutput> {
    return this.idlest((thread) => thread.call({ type: 'backbone', pixels, count }));
  }

  /** Loads a head in every thread; resolves to the key that runs it. */
  async loadHead(head: HeadSpec): Promise<string> {
    const key = randomUUID();
    this.heads.set(key, head);
    try {
      await Promise.all([...this.threads].map((t) => t.call({ type: 'load-head', key, head })));
      return key;
    } catch (error) {
      await this.unloadHead(key);
      throw error;
    }
  }

  /** Loads and probes a head in one thread, keeping nothing: the probe's duration. */
  async checkHead(head: HeadSpec): Promise<{ probeMs: number }> {
    return this.idlest((thread) => thread.call({ type: 'check-head', head }));
  }

  /** `count` rows of scores of a loaded head (`embeddings` is transferred). */
  async runHead(key: string, embeddings: Float32Array, count: number): Promise<Float32Array> {
    const { scores } = await this.idlest((thread) =>
      thread.call<{ scores: Float32Array }>({ type: 'run-head', key, embeddings, count }),
    );
    return scores;
  }

  async unloadHead(key: string): Promise<void> {
    this.heads.delete(key);
    await Promise.allSettled([...this.threads].map((t) => t.call({ type: 'unload-head', key })));
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = [...this.threads];
    this.threads.clear();
    await Promise.all(threads.map((thread) => thread.terminate()));
  }

  private idlest<T>(call: (thread: InferenceThread) => Promise<T>): Promise<T> {
    let idlest: InferenceThread | undefined;
    for (const thread of this.threads) if (!idlest || thread.load < idlest.load) idlest = thread;
    if (!idlest) return Promise.reject(new Error('No inference thread is running'));
    return call(idlest);
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
        await this.loadHeadsInto(thread);
        if (this.closed) return void (await thread.terminate());
        return this.adopt(thread);
      } catch (error) {
        this.logger.error(`An inference thread failed to start: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, RESPAWN_DELAY_MS).unref());
      }
    }
  }

  private async loadHeadsInto(thread: InferenceThread): Promise<void> {
    try {
      for (const [key, head] of this.heads) {
        await thread.call<undefined>({ type: 'load-head', key, head });
      }
    } catch (error) {
      await thread.terminate();
      throw error;
    }
  }
}
