import * as tf from '@tensorflow/tfjs';
import type { LayerJson } from './keras-json';

interface ModelJson {
  config: { layers: LayerJson[]; output_layers: [string, number, number][] };
}

const CONVOLUTIONS = new Set(['Conv2D', 'DepthwiseConv2D']);

/**
 * The same function with every BatchNormalization that follows a convolution folded into
 * that convolution's kernel and bias: at inference a batch norm is a per-channel affine map,
 * and running it as its own op costs as much as the convolutions in MobileNetV2 (measured on
 * the wasm backend). `model` is disposed; the returned model owns the weights.
 */
export async function foldBatchNorms(model: tf.LayersModel): Promise<tf.LayersModel> {
  const topology = model.toJSON(null, false) as unknown as ModelJson;
  const folds = foldablePairs(topology.config.layers);
  if (folds.size === 0) return model;
  const normOf = new Map([...folds].map(([conv, norm]) => [norm, conv]));
  const renamed = (name: string) => normOf.get(name) ?? name;
  topology.config.layers = topology.config.layers
    .filter((layer) => !normOf.has(layer.name))
    .map((layer) => ({
      ...layer,
      config: folds.has(layer.name) ? { ...layer.config, use_bias: true } : layer.config,
      inbound_nodes: layer.inbound_nodes.map((node) =>
        node.map(([name, ...rest]) => [renamed(name), ...rest] as LayerJson['inbound_nodes'][0][0]),
      ),
    }));
  topology.config.output_layers = topology.config.output_layers.map(([name, ...rest]) => [
    renamed(name),
    ...rest,
  ]);
  const folded = await tf.models.modelFromJSON(
    topology as unknown as Parameters<typeof tf.models.modelFromJSON>[0],
  );
  for (const layer of folded.layers) {
    const norm = folds.get(layer.name);
    const weights = norm
      ? foldedWeights(model.getLayer(layer.name), model.getLayer(norm))
      : model.getLayer(layer.name).getWeights();
    layer.setWeights(weights);
    if (norm) tf.dispose(weights);
  }
  model.dispose();
  return folded;
}

/** Convolution name -> the channels-last BatchNormalization that alone consumes it. */
function foldablePairs(layers: LayerJson[]): Map<string, string> {
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const consumers = new Map<string, number>();
  for (const layer of layers) {
    for (const node of layer.inbound_nodes) {
      for (const [name] of node) consumers.set(name, (consumers.get(name) ?? 0) + 1);
    }
  }
  const pairs = new Map<string, string>();
  for (const norm of layers) {
    if (norm.class_name !== 'BatchNormalization' || ![-1, 3].includes(norm.config.axis as number))
      continue;
    const inputs = norm.inbound_nodes.length === 1 ? norm.inbound_nodes[0] : [];
    const producer = inputs.length === 1 ? byName.get(inputs[0][0]) : undefined;
    if (
      producer &&
      CONVOLUTIONS.has(producer.class_name) &&
      producer.config.data_format === 'channels_last' &&
      producer.config.activation === 'linear' &&
      consumers.get(producer.name) === 1
    ) {
      pairs.set(producer.name, norm.name);
    }
  }
  return pairs;
}

/** [kernel, bias] of `conv` followed by `norm`: y = (conv(x) - mean) * gamma / std + beta. */
function foldedWeights(conv: tf.layers.Layer, norm: tf.layers.Layer): tf.Tensor[] {
  return tf.tidy(() => {
    const named = new Map(
      norm.weights.map((w, i) => [w.originalName.split('/').pop(), norm.getWeights()[i]]),
    );
    const mean = named.get('moving_mean')!;
    const gamma = named.get('gamma') ?? tf.onesLike(mean);
    const beta = named.get('beta') ?? tf.zerosLike(mean);
    const epsilon = norm.getConfig().epsilon as number;
    const scale = gamma.div(named.get('moving_variance')!.add(epsilon).sqrt());
    const [kernel, bias = tf.zerosLike(mean)] = conv.getWeights();
    // A depthwise kernel is [h, w, in, multiplier]; output channel c is in * multiplier + m.
    const kernelScale =
      conv.getClassName() === 'DepthwiseConv2D'
        ? scale.reshape([1, 1, ...kernel.shape.slice(2)])
        : scale;
    return [kernel.mul(kernelScale), bias.sub(mean).mul(scale).add(beta)];
  });
}
