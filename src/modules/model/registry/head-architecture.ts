import type * as tf from '@tensorflow/tfjs';
import { invalidArtifact } from '../model-errors';

/**
 * Layers whose work per row follows from their parameters (Dense: one multiply-add per
 * weight) or from the width they are given (activations, normalisation, dropout). Layers that
 * make work without weights (RepeatVector, Reshape, convolutions over a reshaped input,
 * recurrent layers, nested models, custom layers) are refused: a 3.8k-parameter
 * RepeatVector(2000) -> pooling -> Dense head held the event loop 7 s per 16 rows.
 */
const HEAD_LAYERS = new Set([
  'InputLayer',
  'Dense',
  'Dropout',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'Softmax',
  'BatchNormalization',
  'LayerNormalization',
]);

/** The same for graph models (GraphDef ops): matrix products, biases and activations. */
const HEAD_OPS = new Set([
  'Placeholder',
  'Const',
  'Identity',
  'NoOp',
  'MatMul',
  '_FusedMatMul',
  'BiasAdd',
  'Add',
  'AddV2',
  'Relu',
  'Relu6',
  'Elu',
  'Selu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Softmax',
]);

/** Layers or graph nodes: width-bound layers are cheap, but not without number. */
const MAX_NODES = 64;

interface LayersTopology {
  class_name?: string;
  config?: { layers?: { class_name?: string; name?: string }[] } | unknown[];
  model_config?: LayersTopology;
}

interface GraphTopology {
  node?: { op?: string; name?: string }[];
  library?: { function?: unknown[] };
}

/**
 * Throws AppError 422 `unsupported_layer` unless the artifact is a head whose cost is bounded
 * by its parameter count: only the layers (or graph ops) above, at most MAX_NODES of them,
 * weights of rank 2 at most (so no tensor grows past [rows, width]).
 */
export function checkHeadArchitecture(artifacts: tf.io.ModelArtifacts): void {
  const topology = artifacts.modelTopology as (LayersTopology & GraphTopology) | undefined;
  if (!topology || typeof topology !== 'object' || topology instanceof ArrayBuffer) {
    throw invalidArtifact('model.json must hold its topology as JSON');
  }
  const nodes = topology.node ? graphOps(topology) : layerClasses(topology);
  if (nodes.length > MAX_NODES) {
    throw unsupported(`The model has ${nodes.length} layers or nodes; at most ${MAX_NODES}`);
  }
  const allowed = topology.node ? HEAD_OPS : HEAD_LAYERS;
  const refused = [...new Set(nodes.filter((kind) => !allowed.has(kind)))];
  if (refused.length > 0) {
    throw unsupported(
      `A head may use only ${[...allowed].join(', ')} (work bounded by its parameters); ` +
        `this one uses ${refused.join(', ')}`,
    );
  }
  const deep = (artifacts.weightSpecs ?? []).find((spec) => spec.shape.length > 2);
  if (deep) {
    throw unsupported(`Weight ${deep.name} has rank ${deep.shape.length}; a head's are 1 or 2`);
  }
}

function graphOps(topology: GraphTopology): string[] {
  if ((topology.library?.function ?? []).length > 0) {
    throw unsupported('A head graph may not define functions (control flow)');
  }
  return topology.node!.map((node) => String(node.op));
}

function layerClasses(topology: LayersTopology): string[] {
  const model = topology.model_config ?? topology;
  const config = model.config;
  const layers = Array.isArray(config) ? config : config?.layers;
  if (!Array.isArray(layers)) throw invalidArtifact('The model topology lists no layers');
  return (layers as { class_name?: string }[]).map((layer) => String(layer.class_name));
}

function unsupported(message: string) {
  return invalidArtifact(message, 'unsupported_layer');
}
