import { parentPort, workerData } from 'node:worker_threads';
import { Backbone } from './backbone';
import { InferenceReply, InferenceWorkerData, RunRequest } from './inference-messages';

/**
 * The body of one inference thread: its own TF.js and model, running requests one at a
 * time in arrival order. A failure to start is an uncaught error: the thread exits with it.
 */
async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('inference-worker runs only as a worker thread');
  const reply = (message: InferenceReply, transfer: ArrayBuffer[] = []) =>
    port.postMessage(message, transfer);
  const backbone = await Backbone.load((workerData as InferenceWorkerData).backend);
  let previous = Promise.resolve();
  port.on('message', (request: RunRequest) => {
    previous = previous.then(async () => {
      try {
        const output = await backbone.run(request.pixels, request.count);
        reply({ type: 'result', id: request.id, output }, [
          output.scores.buffer as ArrayBuffer,
          output.embeddings.buffer as ArrayBuffer,
        ]);
      } catch (error) {
        reply({ type: 'failed', id: request.id, message: (error as Error).message });
      }
    });
  });
  reply({ type: 'ready', backend: backbone.backend });
}

void serve();
