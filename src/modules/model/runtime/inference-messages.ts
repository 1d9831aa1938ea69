import type * as tf from '@tensorflow/tfjs';
import type { InferenceRuntimeSetting, TfBackendSetting } from '../../../config';
import type { InferenceEngine } from './inference-engine';

/** What an inference thread is started with. */
export interface InferenceWorkerData {
  /** `onnx` or `auto` take the backbone from `onnxModel`; `auto` falls back to TF.js. */
  runtime: InferenceRuntimeSetting;
  /** The TF.js backend of the tfjs runtime, and of heads under either runtime. */
  backend: TfBackendSetting;
  /** The converted bundled backbone (absent: TF.js only). */
  onnxModel?: Uint8Array;
}

/** A head to load: its TF.js artifact and how many scores a row it must give. */
export interface HeadSpec {
  artifacts: tf.io.ModelArtifacts;
  labelCount: number;
}

/** Main thread -> inference thread. Typed arrays in requests are transferred. */
export type InferenceRequest =
  | { type: 'backbone'; id: number; pixels: Float32Array; count: number }
  | { type: 'load-head'; id: number; key: string; head: HeadSpec }
  | { type: 'check-head'; id: number; head: HeadSpec }
  | { type: 'run-head'; id: number; key: string; embeddings: Float32Array; count: number }
  | { type: 'unload-head'; id: number; key: string }
  /** Finish what was sent before, free everything, end the thread. */
  | { type: 'close'; id: number };

/** What the failed call threw: an AppError keeps its status and code across the thread. */
export interface ThreadError {
  message: string;
  status?: number;
  code?: string;
}

/** Inference thread -> main thread. */
export type InferenceReply =
  | { type: 'ready'; engine: InferenceEngine; fallback?: string }
  | { type: 'result'; id: number; output: unknown }
  | { type: 'failed'; id: number; error: ThreadError };

/** The buffers of a message's Float32Array fields: transferred, not copied. */
export function transferablesOf(message: object | undefined): ArrayBuffer[] {
  return Object.values(message ?? {}).flatMap((value: unknown) =>
    value instanceof Float32Array ? [value.buffer as ArrayBuffer] : [],
  );
}
