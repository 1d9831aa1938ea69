import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { dirname } from 'node:path';
import type { TfBackendSetting } from '../../../config';

/** A TF.js backend this runtime can run on, fastest first. */
export const TF_BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type TfBackendName = (typeof TF_BACKEND_NAMES)[number];

/** An optional dependency: it installs only where its libtensorflow download works. */
const TFJS_NODE = '@tensorflow/tfjs-node';

/**
 * Puts this thread's TF.js on the backend `setting` asks for (`auto`: the fastest that
 * loads) and returns its name. An explicitly requested backend that does not load throws.
 */
export async function initTfBackend(setting: TfBackendSetting): Promise<TfBackendName> {
  const candidates = setting === 'auto' ? TF_BACKEND_NAMES : [setting];
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      await activate(name);
      // Prod mode skips debug checks and the "install tfjs-node" banner of the cpu backend.
      tf.enableProdMode();
      return name;
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`No TF.js backend could start (${failures.join('; ')})`);
}

async function activate(name: TfBackendName): Promise<void> {
  if (name === 'tensorflow') loadTfjsNode();
  if (name === 'wasm')
    setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  // setBackend resolves false (it does not throw) when the backend fails to initialise.
  if (!(await tf.setBackend(name))) throw new Error('the backend failed to initialise');
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`TF.js is on ${tf.getBackend()} instead`);
}

/** Registers the `tensorflow` backend; it must share our `@tensorflow/tfjs` instance. */
function loadTfjsNode(): void {
  try {
    require.resolve(TFJS_NODE);
  } catch {
    throw new Error(`${TFJS_NODE} is not installed`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional, untyped dependency
  require(TFJS_NODE);
}
