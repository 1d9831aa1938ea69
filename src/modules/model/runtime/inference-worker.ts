import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../../common/app-error';
import { Backbone, TfjsBackbone } from './backbone';
import { initTfBackend } from './backend';
import { HeadModel } from './head-model';
import {
  HeadSpec,
  InferenceReply,
  InferenceRequest,
  InferenceWorkerData,
  ThreadError,
  transferablesOf,
} from './inference-messages';
import { OnnxBackbone } from './onnx/onnx-backbone';

/**
 * The body of one inference thread: the backbone (ONNX Runtime or TF.js) and every loaded
 * head (TF.js), running requests one at a time in arrival order. A failure to start is an
 * uncaught error: the thread exits with it. It ends itself on `close`, after the requests
 * before it: terminating a thread while ONNX Runtime runs aborts the whole process.
 */
async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('inference-worker runs only as a worker thread');
  const data = workerData as InferenceWorkerData;
  const reply = (message: InferenceReply, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer);
  const { backbone, fallback } = await loadBackbone(data);
  const heads = new HeadHost(data, backbone);
  let previous = Promise.resolve();
  port.on('message', (request: InferenceRequest) => {
    if (request.type === 'close') {
      previous = previous.then(() => {
        heads.dispose();
        backbone.dispose();
        process.exit(0);
      });
      return;
    }
    previous = previous.then(async () => {
      try {
        const output = await handle(request, backbone, heads);
        reply({ type: 'result', id: request.id, output }, transferablesOf(output));
      } catch (error) {
        reply({ type: 'failed', id: request.id, error: threadError(error as Error) });
      }
    });
  });
  reply({ type: 'ready', engine: backbone.engine, ...(fallback && { fallback }) });
}

async function loadBackbone(
  data: InferenceWorkerData,
): Promise<{ backbone: Backbone; fallback?: string }> {
  if (data.runtime === 'tfjs' || !data.onnxModel) {
    return { backbone: await TfjsBackbone.load(data.backend) };
  }
  try {
    return { backbone: await OnnxBackbone.load(data.onnxModel) };
  } catch (error) {
    if (data.runtime === 'onnx') throw error;
    const fallback = `ONNX Runtime did not start (${(error as Error).message})`;
    return { backbone: await TfjsBackbone.load(data.backend), fallback };
  }
}

async function handle(
  request: Exclude<InferenceRequest, { type: 'close' }>,
  backbone: Backbone,
  heads: HeadHost,
): Promise<object | undefined> {
  switch (request.type) {
    case 'backbone':
      return backbone.run(request.pixels, request.count);
    case 'load-head':
      await heads.load(request.key, request.head);
      return undefined;
    case 'check-head':
      return heads.check(request.head);
    case 'run-head':
      return heads.run(request.key, request.embeddings, request.count);
    case 'unload-head':
      heads.unload(request.key);
      return undefined;
  }
}

/** Heads in this thread's TF.js, by key. */
class HeadHost {
  private readonly heads = new Map<string, HeadModel>();
  private backendReady?: Promise<unknown>;

  constructor(
    private readonly data: InferenceWorkerData,
    private readonly backbone: Backbone,
  ) {}

  async load(key: string, spec: HeadSpec): Promise<void> {
    const head = await this.loadModel(spec);
    this.heads.get(key)?.dispose();
    this.heads.set(key, head);
  }

  /** Loads, probes and disposes: how long a full batch took, for the registry's record. */
  async check(spec: HeadSpec): Promise<{ probeMs: number }> {
    const head = await this.loadModel(spec);
    head.dispose();
    return { probeMs: head.probeMs };
  }

  run(key: string, embeddings: Float32Array, count: number): { scores: Float32Array } {
    const head = this.heads.get(key);
    if (!head) throw new Error(`No head ${key} is loaded in this thread`);
    return { scores: head.run(embeddings, count) };
  }

  unload(key: string): void {
    this.heads.get(key)?.dispose();
    this.heads.delete(key);
  }

  dispose(): void {
    for (const key of [...this.heads.keys()]) this.unload(key);
  }

  /** Under the tfjs runtime, the backbone chose the backend already. */
  private async loadModel(spec: HeadSpec): Promise<HeadModel> {
    if (this.backbone.engine.runtime !== 'tfjs') {
      this.backendReady ??= initTfBackend(this.data.backend);
      await this.backendReady;
    }
    return HeadModel.load(spec.artifacts, spec.labelCount);
  }
}

function threadError(error: Error): ThreadError {
  if (!(error instanceof AppError)) return { message: error.message };
  return { message: error.message, status: error.getStatus(), code: error.code };
}

void serve();
