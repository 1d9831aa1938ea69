import { onnx } from 'onnx-proto';

/** ONNX opset the converter writes; Clip takes min/max as inputs from opset 11 on. */
export const OPSET = 13;
const IR_VERSION = 7;

/** An INT, INTS or STRING attribute, or `{ float }` for a FLOAT one. */
type Attribute = number | number[] | string | { float: number };

/** Builds one ONNX graph: nodes in topological order, float32 and int64 initializers. */
export class OnnxGraph {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private nextId = 0;

  /** A float32 graph input; `null` dimensions are the batch size. */
  input(name: string, shape: (number | null)[]): string {
    this.inputs.push(floatValue(name, shape));
    return name;
  }

  /** Makes `tensor` a graph output under `name`. */
  output(name: string, tensor: string): void {
    this.node('Identity', [tensor], {}, name);
    this.outputs.push(floatValue(name));
  }

  /** Adds a node and returns its (single) output's name. */
  node(op: string, inputs: string[], attributes: Record<string, Attribute> = {}, name?: string) {
    const output = name ?? `${op.toLowerCase()}_${this.nextId++}`;
    this.nodes.push({
      opType: op,
      name: output,
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return output;
  }

  floats(name: string, dims: number[], values: Float32Array): string {
    const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }

  scalar(name: string, value: number): string {
    return this.floats(name, [], Float32Array.of(value));
  }

  int64s(name: string, values: number[]): string {
    const raw = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: raw,
    });
    return name;
  }

  /** The serialized ModelProto. */
  encode(graphName: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'vireo',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function floatValue(name: string, shape?: (number | null)[]): onnx.IValueInfoProto {
  const dim = shape?.map((d) => (d === null ? { dimParam: 'batch' } : { dimValue: d }));
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        ...(dim && { shape: { dim } }),
      },
    },
  };
}

function attribute(name: string, value: Attribute): onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') {
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  }
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  return { name, type: AttributeType.FLOAT, f: value.float };
}
