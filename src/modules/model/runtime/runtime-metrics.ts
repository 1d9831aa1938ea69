import { Gauge, Histogram, Registry } from 'prom-client';
import type { InferenceEngine } from './inference-engine';

/** What the metrics read from the runtime at each scrape. */
export interface RuntimeState {
  engine(): InferenceEngine | null;
  threads(): number;
}

/** The model runtime's Prometheus series. */
export class RuntimeMetrics {
  readonly batchSize: Histogram;
  readonly batchSeconds: Histogram;

  constructor(registry: Registry, state: RuntimeState) {
    new Gauge({
      name: 'vireo_model_backend_info',
      help: 'The runtime (onnx or tfjs) and backend the backbone runs on (value 1).',
      labelNames: ['runtime', 'backend'],
      registers: [registry],
      collect() {
        this.reset();
        const engine = state.engine();
        if (engine) this.set({ ...engine }, 1);
      },
    });
    new Gauge({
      name: 'vireo_model_inference_threads',
      help: 'Inference worker threads running.',
      registers: [registry],
      collect() {
        this.set(state.threads());
      },
    });
    this.batchSize = new Histogram({
      name: 'vireo_model_batch_size',
      help: 'Images per backbone batch.',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    });
    this.batchSeconds = new Histogram({
      name: 'vireo_model_batch_duration_seconds',
      help: 'Time from sending a batch to an inference thread to its result.',
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }
}
