import type { TfBackendName } from './backend';

/** What runs the backbone: ONNX Runtime on its CPU execution provider, or TF.js on a backend. */
export type InferenceEngine =
  | { runtime: 'onnx'; backend: 'cpu' }
  | {
      runtime: 'tfjs';
      backend: TfBackendName;
    };

export function describeEngine(engine: InferenceEngine): string {
  return engine.runtime === 'onnx'
    ? 'ONNX Runtime (cpu execution provider)'
    : `TF.js (${engine.backend} backend)`;
}
