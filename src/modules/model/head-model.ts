import * as tf from '@tensorflow/tfjs';
import { EMBEDDING_SIZE, initTfBackend } from './runtime';
import { invalidArtifact } from './model-errors';

/** What both TF.js model kinds (layers and graph) offer a head. */
interface TfModel {
  readonly inputs: { shape?: number[] | null[] | (number | null)[] }[];
  predict(input: tf.Tensor): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  dispose(): void;
}

/**
 * Rows x parameters run in one synchronous slice, about one row of the largest head the
 * default MODEL_HEAD_MAX_PARAMS allows: a few ms on the cpu backend (DEVELOPERS.md, "Models").
 * Larger batches run slice by slice, yielding to the event loop in between.
 */
const SLICE_BUDGET = 500_000;

let mainThreadBackend: Promise<unknown> | undefined;

/**
 * Heads run on the main thread's TF.js, on the cpu backend: they are small dense networks
 * (see DEVELOPERS.md, "Models"), and the wasm instances belong to the inference threads.
 */
function useMainThreadBackend(): Promise<unknown> {
  mainThreadBackend ??= initTfBackend('cpu');
  return mainThreadBackend;
}

/**
 * A trained head: a model on the backbone embedding, [n, EMBEDDING_SIZE] in and one score
 * per label, [n, labels], out, every tensor disposed before a call returns.
 */
export class HeadModel {
  private readonly sliceRows: number;

  private constructor(
    private readonly model: TfModel,
    readonly labelCount: number,
    parameterCount: number,
  ) {
    this.sliceRows = Math.max(1, Math.floor(SLICE_BUDGET / Math.max(1, parameterCount)));
  }

  /**
   * Loads a layers or graph model and checks it is a head with `labelCount` outputs; throws
   * AppError 422 when it does not load or has another shape.
   */
  static async load(artifacts: tf.io.ModelArtifacts, labelCount: number): Promise<HeadModel> {
    await useMainThreadBackend();
    const model = await loadTfModel(artifacts);
    try {
      checkInput(model);
      const head = new HeadModel(model, labelCount, parameterCount(artifacts));
      head.checkOutput();
      return head;
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  /** `embeddings`: `count` rows of EMBEDDING_SIZE. Returns `count` rows of label scores. */
  async run(embeddings: Float32Array, count: number): Promise<Float32Array> {
    const scores = new Float32Array(count * this.labelCount);
    for (let first = 0; first < count; first += this.sliceRows) {
      if (first > 0) await new Promise((resolve) => setImmediate(resolve));
      const rows = Math.min(this.sliceRows, count - first);
      const slice = embeddings.subarray(first * EMBEDDING_SIZE, (first + rows) * EMBEDDING_SIZE);
      scores.set(this.runSlice(slice, rows), first * this.labelCount);
    }
    return scores;
  }

  dispose(): void {
    this.model.dispose();
  }

  private runSlice(embeddings: Float32Array, rows: number): Float32Array {
    return tf.tidy(() => {
      const output = this.model.predict(tf.tensor2d(embeddings, [rows, EMBEDDING_SIZE]));
      if (!(output instanceof tf.Tensor)) throw new Error('The head gave more than one output');
      return output.dataSync() as Float32Array;
    });
  }

  /** One probe batch: a single output tensor of [batch, labelCount]. */
  private checkOutput(): void {
    const probeRows = 2;
    let scores: Float32Array;
    try {
      scores = this.runSlice(new Float32Array(probeRows * EMBEDDING_SIZE), probeRows);
    } catch (error) {
      throw invalidArtifact(
        `The model does not run on [${probeRows}, ${EMBEDDING_SIZE}]: ${(error as Error).message}`,
        'incompatible_model_shape',
      );
    }
    if (scores.length !== probeRows * this.labelCount) {
      throw invalidArtifact(
        `The model must output [batch, ${this.labelCount}] (one score per label); ` +
          `it gave ${scores.length / probeRows} values per row`,
        'incompatible_model_shape',
      );
    }
  }
}

async function loadTfModel(artifacts: tf.io.ModelArtifacts): Promise<TfModel> {
  const topology = artifacts.modelTopology as { node?: unknown } | undefined;
  const isGraph = artifacts.format === 'graph-model' || topology?.node !== undefined;
  try {
    const handler = tf.io.fromMemory(artifacts);
    return isGraph ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  } catch (error) {
    throw invalidArtifact(`The model does not load: ${(error as Error).message}`);
  }
}

function parameterCount(artifacts: tf.io.ModelArtifacts): number {
  return (artifacts.weightSpecs ?? []).reduce(
    (sum, spec) => sum + spec.shape.reduce((product, d) => product * d, 1),
    0,
  );
}

function checkInput(model: TfModel): void {
  const shapes = model.inputs.map((input) => input.shape ?? []);
  const [shape] = shapes;
  const isEmbedding =
    shapes.length === 1 &&
    shape.length === 2 &&
    (shape[0] === null || shape[0] === -1) &&
    shape[1] === EMBEDDING_SIZE;
  if (!isEmbedding) {
    throw invalidArtifact(
      `The model must take one input of [null, ${EMBEDDING_SIZE}] (the backbone embedding); ` +
        `it takes ${JSON.stringify(shapes)}`,
      'incompatible_model_shape',
    );
  }
}
