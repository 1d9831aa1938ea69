import { Injectable } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { workerSource } from '../../../common/threads/worker-source';
import { MODEL_JSON } from '../registry/artifact-files';
import {
  HEAD_WEIGHTS_FILE,
  HeadTrainingInput,
  HeadTrainingMessage,
  HeadTrainingResult,
} from './head-training-messages';

/**
 * Trains a dense classifier head on embeddings in a worker thread of its own (one per
 * training; it ends with it), so the event loop and the inference threads keep serving.
 */
@Injectable()
export class HeadTrainer {
  /** `onEpoch` hears each epoch's mean loss as training goes. */
  train(
    input: HeadTrainingInput,
    onEpoch: (epoch: number, loss: number) => void = () => {},
  ): Promise<HeadTrainingResult> {
    const worker = new Worker(workerSource(__filename, __dirname, 'head-training-worker'), {
      eval: true,
      workerData: input,
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        outcome();
        void worker.terminate();
      };
      worker.on('message', (message: HeadTrainingMessage) => {
        if (message.type === 'epoch') return onEpoch(message.epoch, message.loss);
        if (message.type === 'failed') {
          return settle(() => reject(new Error(`Training failed: ${message.message}`)));
        }
        settle(() =>
          resolve({
            files: [
              { name: MODEL_JSON, bytes: Buffer.from(message.modelJson) },
              { name: HEAD_WEIGHTS_FILE, bytes: Buffer.from(message.weights) },
            ],
            lossPerEpoch: message.lossPerEpoch,
            validationScores: message.validationScores,
            backend: message.backend,
          }),
        );
      });
      worker.on('error', (error) => settle(() => reject(error)));
      worker.on('exit', (code) =>
        settle(() => reject(new Error(`The training thread exited with code ${code}`))),
      );
    });
  }
}
