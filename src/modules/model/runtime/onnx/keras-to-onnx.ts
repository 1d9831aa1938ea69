import type { Weight } from './keras-weights';
import { OnnxGraph } from './onnx-graph';
import type { LayerJson } from '../keras-json';

interface FunctionalTopology {
  class_name: string;
  config: { layers: LayerJson[] };
}

/** One output of the converted graph: the named layer's output under `name`. */
export interface GraphOutput {
  name: string;
  layer: string;
}

/** A tensor in the graph; 4-D tensors are NCHW here (ONNX's layout), Keras's being NHWC. */
interface Tensor {
  name: string;
  rank: number;
}

/** The graph input: NHWC images as Keras takes them. */
export const ONNX_INPUT = 'input';

/**
 * Converts a functional Keras model (TF.js `modelTopology`, channels-last) with its weights to
 * an ONNX model. Written here since no maintained converter runs in Node.js (tf2onnx and
 * keras2onnx are Python); it covers the layers of the bundled MobileNetV2, and throws naming
 * any other layer or option rather than guessing.
 *
 * Keras facts that matter: ZeroPadding2D pads bottom/right only before stride-2 convolutions
 * (`[[0,1],[0,1]]`); `same` padding puts the odd pixel at the end (ONNX `SAME_UPPER`); ReLU6
 * is `ReLU` with `max_value` (ONNX `Clip`); a depthwise kernel `[kh, kw, C, m]` is ONNX
 * `[C*m, 1, kh, kw]` with `group = C`; Flatten reads NHWC order.
 */
export function kerasToOnnx(
  modelTopology: object,
  weights: Map<string, Weight>,
  outputs: GraphOutput[],
): Uint8Array {
  const topology = functionalTopology(modelTopology);
  const converter = new LayerConverter(weights);
  for (const layer of topology.config.layers) converter.convert(layer);
  for (const output of outputs) converter.output(output);
  return converter.graph.encode(topology.class_name);
}

function functionalTopology(modelTopology: object): FunctionalTopology {
  const topology = ((modelTopology as { model_config?: object }).model_config ??
    modelTopology) as FunctionalTopology;
  if (topology.class_name !== 'Model' && topology.class_name !== 'Functional') {
    throw new Error(`Only functional Keras models convert; this is a ${topology.class_name}`);
  }
  return topology;
}

class LayerConverter {
  readonly graph = new OnnxGraph();
  private readonly tensors = new Map<string, Tensor>();

  constructor(private readonly weights: Map<string, Weight>) {}

  convert(layer: LayerJson): void {
    const inputs = this.inputsOf(layer);
    const output = this.layerOutput(layer, inputs);
    this.tensors.set(layer.name, output);
  }

  output({ name, layer }: GraphOutput): void {
    const tensor = this.tensors.get(layer);
    if (!tensor) throw new Error(`No layer named ${layer}`);
    this.graph.output(name, tensor.name);
  }

  private inputsOf(layer: LayerJson): Tensor[] {
    if (layer.inbound_nodes.length > 1) throw new Error(`${layer.name} is called more than once`);
    return (layer.inbound_nodes[0] ?? []).map(([name, node, index]) => {
      const tensor = this.tensors.get(name);
      if (!tensor || node !== 0 || index !== 0) {
        throw new Error(`${layer.name} takes ${name}, which comes later or is not one tensor`);
      }
      return tensor;
    });
  }

  private layerOutput(layer: LayerJson, inputs: Tensor[]): Tensor {
    const [x] = inputs;
    const { config, name } = layer;
    switch (layer.class_name) {
      case 'InputLayer':
        return this.inputLayer(config);
      case 'Conv2D':
      case 'DepthwiseConv2D':
        return this.convolution(layer, x);
      case 'BatchNormalization':
        return this.batchNorm(layer, x);
      case 'ReLU':
        return this.relu(layer, x);
      case 'ZeroPadding2D':
        return this.zeroPadding(layer, x);
      case 'Add':
        return {
          name: this.graph.node(
            'Sum',
            inputs.map((t) => t.name),
            {},
            name,
          ),
          rank: x.rank,
        };
      case 'AveragePooling2D':
        return this.averagePooling(layer, x);
      case 'Flatten':
        return this.flatten(x, name);
      case 'Dense':
        return this.dense(layer, x);
      case 'Dropout':
        return x;
      default:
        throw new Error(`Layer ${name}: ${layer.class_name} is not supported`);
    }
  }

  private inputLayer(config: Record<string, unknown>): Tensor {
    const shape = config.batch_input_shape as (number | null)[];
    const input = this.graph.input(ONNX_INPUT, shape);
    if (shape.length !== 4) return { name: input, rank: shape.length };
    return { name: this.graph.node('Transpose', [input], { perm: [0, 3, 1, 2] }), rank: 4 };
  }

  private convolution(layer: LayerJson, x: Tensor): Tensor {
    const { config, name } = layer;
    channelsLast(layer);
    const depthwise = layer.class_name === 'DepthwiseConv2D';
    const kernel = this.weight(name, depthwise ? 'depthwise_kernel' : 'kernel');
    const [kh, kw, channels, multiplier] = kernel.shape;
    const inputs = [
      x.name,
      depthwise
        ? this.graph.floats(
            `${name}/W`,
            [channels * multiplier, 1, kh, kw],
            transpose(kernel, [2, 3, 0, 1]),
          )
        : this.graph.floats(
            `${name}/W`,
            [multiplier, channels, kh, kw],
            transpose(kernel, [3, 2, 0, 1]),
          ),
    ];
    if (config.use_bias) {
      const bias = this.weight(name, 'bias');
      inputs.push(this.graph.floats(`${name}/B`, bias.shape, bias.values));
    }
    const conv = this.graph.node('Conv', inputs, {
      kernel_shape: [kh, kw],
      strides: config.strides as number[],
      dilations: config.dilation_rate as number[],
      group: depthwise ? channels : 1,
      ...padding(layer),
    });
    return this.activation(config.activation as string, { name: conv, rank: 4 }, name);
  }

  private batchNorm(layer: LayerJson, x: Tensor): Tensor {
    const { config, name } = layer;
    if (![-1, x.rank - 1].includes(config.axis as number)) {
      throw new Error(`Layer ${name}: only channels-last batch normalization is supported`);
    }
    const mean = this.weight(name, 'moving_mean');
    const ones = new Float32Array(mean.values.length).fill(1);
    const zeros = new Float32Array(mean.values.length);
    const param = (weight: string, fallback: Float32Array) =>
      this.graph.floats(
        `${name}/${weight}`,
        mean.shape,
        this.weights.get(`${name}/${weight}`)?.values ?? fallback,
      );
    const inputs = [
      x.name,
      param('gamma', ones),
      param('beta', zeros),
      param('moving_mean', zeros),
      param('moving_variance', ones),
    ];
    const epsilon = { float: config.epsilon as number };
    return { name: this.graph.node('BatchNormalization', inputs, { epsilon }, name), rank: x.rank };
  }

  private relu(layer: LayerJson, x: Tensor): Tensor {
    const { max_value: max, negative_slope: slope, threshold } = layer.config;
    if ((slope ?? 0) !== 0 || (threshold ?? 0) !== 0) {
      throw new Error(`Layer ${layer.name}: ReLU with a slope or threshold is not supported`);
    }
    if (max === null || max === undefined) return this.activation('relu', x, layer.name);
    const bounds = [
      this.graph.scalar(`${layer.name}/min`, 0),
      this.graph.scalar(`${layer.name}/max`, max as number),
    ];
    return { name: this.graph.node('Clip', [x.name, ...bounds], {}, layer.name), rank: x.rank };
  }

  private activation(activation: string, x: Tensor, name: string): Tensor {
    const op = ACTIVATIONS[activation];
    if (op === undefined) throw new Error(`Layer ${name}: activation ${activation} not supported`);
    if (op === null) return x;
    return { name: this.graph.node(op, [x.name], {}, `${name}/${activation}`), rank: x.rank };
  }

  private zeroPadding(layer: LayerJson, x: Tensor): Tensor {
    channelsLast(layer);
    const [[top, bottom], [left, right]] = layer.config.padding as number[][];
    const pads = this.graph.int64s(`${layer.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
    return { name: this.graph.node('Pad', [x.name, pads], {}, layer.name), rank: 4 };
  }

  /** ONNX leaves padding out of the average by default, as Keras does. */
  private averagePooling(layer: LayerJson, x: Tensor): Tensor {
    channelsLast(layer);
    const { pool_size: size, strides } = layer.config as { pool_size: number[]; strides: number[] };
    const attributes = { kernel_shape: size, strides: strides ?? size, ...padding(layer) };
    return { name: this.graph.node('AveragePool', [x.name], attributes, layer.name), rank: 4 };
  }

  /** Keras flattens NHWC: back to that order first. */
  private flatten(x: Tensor, name: string): Tensor {
    const input =
      x.rank === 4 ? this.graph.node('Transpose', [x.name], { perm: [0, 2, 3, 1] }) : x.name;
    return { name: this.graph.node('Flatten', [input], { axis: 1 }, name), rank: 2 };
  }

  private dense(layer: LayerJson, x: Tensor): Tensor {
    const { config, name } = layer;
    if (x.rank !== 2) throw new Error(`Layer ${name}: Dense on rank ${x.rank} is not supported`);
    const kernel = this.weight(name, 'kernel');
    const inputs = [x.name, this.graph.floats(`${name}/kernel`, kernel.shape, kernel.values)];
    if (config.use_bias) {
      const bias = this.weight(name, 'bias');
      inputs.push(this.graph.floats(`${name}/bias`, bias.shape, bias.values));
    }
    const gemm = this.graph.node('Gemm', inputs, {}, name);
    return this.activation(config.activation as string, { name: gemm, rank: 2 }, name);
  }

  private weight(layer: string, weight: string): Weight {
    const found = this.weights.get(`${layer}/${weight}`);
    if (!found) throw new Error(`The weights have no ${layer}/${weight}`);
    return found;
  }
}

/** Keras activation -> ONNX op; null: none. */
const ACTIVATIONS: Record<string, string | null> = {
  linear: null,
  relu: 'Relu',
  softmax: 'Softmax',
};

function channelsLast(layer: LayerJson): void {
  const format = layer.config.data_format;
  if (format !== undefined && format !== 'channels_last') {
    throw new Error(`Layer ${layer.name}: only channels_last is supported`);
  }
}

function padding(layer: LayerJson): { auto_pad?: string } {
  const mode = layer.config.padding;
  if (mode === 'valid') return {};
  if (mode === 'same') return { auto_pad: 'SAME_UPPER' };
  throw new Error(`Layer ${layer.name}: padding ${String(mode)} is not supported`);
}

/** `weight`'s values with its axes permuted (`order[i]`: the source axis of axis i). */
function transpose({ shape, values }: Weight, order: number[]): Float32Array {
  const target = order.map((axis) => shape[axis]);
  const sourceStrides = strides(shape);
  const out = new Float32Array(values.length);
  const index = new Array<number>(target.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let source = 0;
    for (let d = 0; d < target.length; d++) source += index[d] * sourceStrides[order[d]];
    out[i] = values[source];
    for (let d = target.length - 1; d >= 0 && ++index[d] === target[d]; d--) index[d] = 0;
  }
  return out;
}

function strides(shape: number[]): number[] {
  const result = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) result[d] = result[d + 1] * shape[d + 1];
  return result;
}
