import * as tf from '@tensorflow/tfjs';
import { invalidArtifact } from '../model-errors';
import { EMBEDDING_SIZE } from './bundled-mobilenet';

/** What both TF.js model kinds (layers and graph) offer a head. */
interface TfModel {
  readonly inputs: { shape?: number[] | null[] | (number | null)[] }[];
  predict(input: tf.Tensor): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  dispose(): void;
}

/** Rows of the probe batch: a full micro-batch at the default BATCH_MAX_SIZE. */
const PROBE_ROWS = 16;

/**
 * A trained head in an inference thread's TF.js: a model on the backbone embedding,
 * [n, EMBEDDING_SIZE] in and one score per label, [n, labels], out, every tensor disposed
 * before a call returns. It runs beside the backbone, never on the HTTP thread: what the
 * registry lets in is bounded (registry/head-architecture.ts), and a slow head then costs an
 * inference thread some time, not the event loop.
 */
export class HeadModel {
  private constructor(
    private readonly model: TfModel,
    readonly labelCount: number,
    /** How long the probe batch of PROBE_ROWS rows took at load. */
    readonly probeMs: number,
  ) {}

  /**
   * Loads a layers or graph model and checks, with a probe batch, that it is a head with
   * `labelCount` finite outputs a row; throws AppError 422 when it is not.
   */
  static async load(artifacts: tf.io.ModelArtifacts, labelCount: number): Promise<HeadModel> {
    const model = await loadTfModel(artifacts);
    try {
      checkInput(model);
      return new HeadModel(model, labelCount, probe(model, labelCount));
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  /** `embeddings`: `count` rows of EMBEDDING_SIZE. Returns `count` rows of label scores. */
  run(embeddings: Float32Array, count: number): Float32Array {
    return runModel(this.model, embeddings, count);
  }

  dispose(): void {
    this.model.dispose();
  }
}

function runModel(model: TfModel, embeddings: Float32Array, rows: number): Float32Array {
  return tf.tidy(() => {
    const output = model.predict(tf.tensor2d(embeddings, [rows, EMBEDDING_SIZE]));
    if (!(output instanceof tf.Tensor)) throw new Error('The head gave more than one output');
    return output.dataSync() as Float32Array;
  });
}

/** One probe batch: a single output tensor of [batch, labelCount], finite. Returns its ms. */
function probe(model: TfModel, labelCount: number): number {
  const started = performance.now();
  let scores: Float32Array;
  try {
    scores = runModel(model, new Float32Array(PROBE_ROWS * EMBEDDING_SIZE).fill(1), PROBE_ROWS);
  } catch (error) {
    throw invalidArtifact(
      `The model does not run on [${PROBE_ROWS}, ${EMBEDDING_SIZE}]: ${(error as Error).message}`,
      'incompatible_model_shape',
    );
  }
  const elapsed = performance.now() - started;
  if (scores.length !== PROBE_ROWS * labelCount) {
    throw invalidArtifact(
      `The model must output [batch, ${labelCount}] (one score per label); ` +
        `it gave ${scores.length / PROBE_ROWS} values per row`,
      'incompatible_model_shape',
    );
  }
  if (!scores.every(Number.isFinite)) {
    throw invalidArtifact('The model gives scores that are not finite numbers', 'non_finite_model');
  }
  return elapsed;
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
