/** A layer of a functional Keras model's JSON, as TF.js stores and writes it. */
export interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  /** Per call: its inputs, each [layer name, node index, tensor index, kwargs]. */
  inbound_nodes: [string, number, number, unknown][][];
}
