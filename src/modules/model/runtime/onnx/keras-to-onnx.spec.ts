import { kerasToOnnx } from './keras-to-onnx';

const input = {
  name: 'input_1',
  class_name: 'InputLayer',
  config: { batch_input_shape: [null, 8, 8, 3] },
  inbound_nodes: [],
};

const functional = (...layers: object[]) => ({ class_name: 'Model', config: { layers } });

describe('kerasToOnnx', () => {
  it('names a layer it cannot convert rather than guessing', () => {
    const lstm = {
      name: 'lstm_1',
      class_name: 'LSTM',
      config: {},
      inbound_nodes: [[['input_1', 0, 0, {}]]],
    };

    expect(() => kerasToOnnx(functional(input, lstm), new Map(), [])).toThrow(
      'Layer lstm_1: LSTM is not supported',
    );
  });

  it('refuses a ReLU with a slope, and a sequential model', () => {
    const leaky = {
      name: 'leaky',
      class_name: 'ReLU',
      config: { negative_slope: 0.1 },
      inbound_nodes: [[['input_1', 0, 0, {}]]],
    };

    expect(() => kerasToOnnx(functional(input, leaky), new Map(), [])).toThrow('slope');
    expect(() =>
      kerasToOnnx({ class_name: 'Sequential', config: { layers: [] } }, new Map(), []),
    ).toThrow('Only functional Keras models convert');
  });
});
