import type { TfBackendSetting } from '../../../config';
import type { BackboneOutput } from './backbone';
import type { TfBackendName } from './backend';

/** What an inference thread is started with. */
export interface InferenceWorkerData {
  backend: TfBackendSetting;
}

/** Main thread -> inference thread: run `count` preprocessed images (`pixels` is transferred). */
export interface RunRequest {
  id: number;
  pixels: Float32Array;
  count: number;
}

/** Inference thread -> main thread. */
export type InferenceReply =
  | { type: 'ready'; backend: TfBackendName }
  | { type: 'result'; id: number; output: BackboneOutput }
  | { type: 'failed'; id: number; message: string };
