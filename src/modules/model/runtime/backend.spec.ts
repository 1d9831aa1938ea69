import * as tf from '@tensorflow/tfjs';
import { initTfBackend } from './backend';

function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('initTfBackend', () => {
  it('auto: takes tensorflow where tfjs-node is installed, else wasm', async () => {
    const expected = tfjsNodeInstalled() ? 'tensorflow' : 'wasm';

    expect(await initTfBackend('auto')).toBe(expected);
    expect(tf.getBackend()).toBe(expected);
  });

  it('wasm: runs with SIMD', async () => {
    expect(await initTfBackend('wasm')).toBe('wasm');
    expect(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')).toBe(true);
    expect(tf.tidy(() => tf.add(tf.scalar(2), tf.scalar(3)).arraySync())).toBe(5);
  });

  it('tensorflow: fails with the reason when tfjs-node is missing, instead of falling back', async () => {
    const result = initTfBackend('tensorflow');

    if (tfjsNodeInstalled()) await expect(result).resolves.toBe('tensorflow');
    else await expect(result).rejects.toThrow('@tensorflow/tfjs-node is not installed');
  });

  it('cpu: takes the cpu backend when asked', async () => {
    expect(await initTfBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});
