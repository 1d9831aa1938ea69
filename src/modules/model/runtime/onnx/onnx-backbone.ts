import type * as Ort from 'onnxruntime-node';
import { BackboneOutput, checkBatch, warmUp, type Backbone } from '../backbone';
import { INPUT_SIZE } from '../bundled-mobilenet';
import type { InferenceEngine } from '../inference-engine';
import { BACKBONE_OUTPUTS } from './bundled-onnx-model';
import { ONNX_INPUT } from './keras-to-onnx';

/**
 * One session per inference thread, single-threaded: `session.run` blocks its thread, and two
 * one-thread sessions beat one two-thread session on a shared 2-core machine. Full graph
 * optimisation (fusing batch norms and pads into the convolutions) is 2x `basic`.
 */
const SESSION_OPTIONS: Ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
};

/** The backbone on ONNX Runtime, from the converted bundled model. */
export class OnnxBackbone implements Backbone {
  readonly engine: InferenceEngine = { runtime: 'onnx', backend: 'cpu' };

  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
  ) {}

  /** `model`: the ONNX bytes (bundled-onnx-model.ts). Throws when onnxruntime-node won't load. */
  static async load(model: Uint8Array): Promise<OnnxBackbone> {
    // Required here, not imported: where its native binding does not load, `auto` falls back.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as typeof Ort;
    const session = await ort.InferenceSession.create(model, SESSION_OPTIONS);
    return warmUp(new OnnxBackbone(ort, session));
  }

  async run(pixels: Float32Array, count: number): Promise<BackboneOutput> {
    checkBatch(pixels, count);
    const input = new this.ort.Tensor('float32', pixels, [count, INPUT_SIZE, INPUT_SIZE, 3]);
    const outputs = await this.session.run({ [ONNX_INPUT]: input });
    const values = (name: string) => new Float32Array(outputs[name].data as Float32Array);
    return {
      count,
      scores: values(BACKBONE_OUTPUTS.scores),
      embeddings: values(BACKBONE_OUTPUTS.embedding),
    };
  }

  dispose(): void {
    void this.session.release();
  }
}
