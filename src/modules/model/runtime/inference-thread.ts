import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../../common/app-error';
import type { InferenceEngine } from './inference-engine';
import {
  InferenceReply,
  InferenceRequest,
  InferenceWorkerData,
  ThreadError,
  transferablesOf,
} from './inference-messages';

/** How long a closing thread may take to finish its calls before it is terminated. */
const CLOSE_TIMEOUT_MS = 30_000;

interface Call {
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

/** A request as sent by a caller: the thread numbers it. */
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type ThreadRequest = DistributiveOmit<InferenceRequest, 'id'>;

/** The thread ended; the calls it had are lost. */
export class InferenceThreadExitedError extends Error {
  override readonly name = 'InferenceThreadExitedError';
}

/** One worker thread that answers RunRequests; see inference-worker.ts for its body. */
export class InferenceThread {
  private readonly calls = new Map<number, Call>();
  private nextId = 0;
  private terminating = false;
  private ended = false;
  private exitHandler: (error: Error) => void = () => {};

  private constructor(
    private readonly worker: Worker,
    readonly engine: InferenceEngine,
    /** Why `auto` runs TF.js here, when ONNX Runtime did not start. */
    readonly fallback?: string,
  ) {
    worker.on('message', (reply: InferenceReply) => this.settle(reply));
    worker.on('error', (error) => this.exited(error));
    worker.on('exit', (code) =>
      this.exited(new InferenceThreadExitedError(`The inference thread exited with code ${code}`)),
    );
  }

  /**
   * Starts a thread that evaluates `source` (CommonJS) and resolves once it reports ready;
   * rejects if it fails or exits before that.
   */
  static spawn(source: string, data: InferenceWorkerData): Promise<InferenceThread> {
    const worker = new Worker(source, { eval: true, workerData: data });
    return new Promise((resolve, reject) => {
      // Only our own listeners: removing all of a Worker's listeners detaches its port.
      const detach = () => {
        worker.off('error', fail);
        worker.off('exit', exitedEarly);
        worker.off('message', ready);
      };
      const fail = (error: Error) => {
        detach();
        void worker.terminate();
        reject(error);
      };
      const exitedEarly = (code: number) =>
        fail(new InferenceThreadExitedError(`The inference thread exited with code ${code}`));
      const ready = (reply: InferenceReply) => {
        if (reply.type !== 'ready') return fail(new Error(`The thread sent ${reply.type} first`));
        detach();
        resolve(new InferenceThread(worker, reply.engine, reply.fallback));
      };
      worker.on('error', fail);
      worker.on('exit', exitedEarly);
      worker.on('message', ready);
    });
  }

  /** Calls sent and not yet answered. */
  get load(): number {
    return this.calls.size;
  }

  /** Sends `request`; its typed arrays are transferred (detached here). */
  call<T>(request: ThreadRequest): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      // Throws (e.g. for a detached buffer) before the call is counted.
      this.worker.postMessage({ ...request, id }, transferablesOf(request));
      this.calls.set(id, { resolve: resolve as (output: unknown) => void, reject });
    });
  }

  /** Called once when the thread ends other than through `terminate`. */
  onExit(handler: (error: Error) => void): void {
    this.exitHandler = handler;
  }

  /**
   * Lets the thread finish the calls it has, then end (see inference-worker.ts); forced after
   * CLOSE_TIMEOUT_MS. A thread that never started its model is terminated at once.
   */
  async terminate(): Promise<void> {
    this.terminating = true;
    if (this.ended) return;
    const exited = once(this.worker, 'exit');
    this.worker.postMessage({ type: 'close', id: this.nextId++ } satisfies InferenceRequest);
    const force = setTimeout(() => void this.worker.terminate(), CLOSE_TIMEOUT_MS).unref();
    await exited;
    clearTimeout(force);
  }

  private settle(reply: InferenceReply): void {
    if (reply.type === 'ready') return;
    const call = this.calls.get(reply.id);
    this.calls.delete(reply.id);
    if (reply.type === 'result') call?.resolve(reply.output);
    else call?.reject(rebuiltError(reply.error));
  }

  private exited(error: Error): void {
    this.ended = true;
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.reject(error);
    if (this.terminating) return;
    this.terminating = true;
    this.exitHandler(error);
  }
}

function rebuiltError({ message, status, code }: ThreadError): Error {
  return status && code ? new AppError(status, code, message) : new Error(message);
}
