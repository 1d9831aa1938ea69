import type { ModelVersionRecord } from '../../persistence';
import type { RuntimeHead } from '../runtime';
import { LoadedModel } from './loaded-model';

const record = { id: 'v1', modelName: 'shapes', version: 1 } as ModelVersionRecord;

/** A head that counts how often it was freed (the runtime's threads are tested elsewhere). */
function countingHead(): RuntimeHead & { disposed: number } {
  const head = {
    disposed: 0,
    run: async (_embeddings: Float32Array, count: number) => new Float32Array(count),
    dispose: async () => void head.disposed++,
  };
  return head;
}

describe('LoadedModel', () => {
  it('keeps a retired head running until the last call using it releases it', async () => {
    const head = countingHead();
    const model = new LoadedModel(record, head, 0);
    const inFlight = model.acquire();

    model.retire();
    await inFlight.head!.run(new Float32Array(1280), 1);
    expect(head.disposed).toBe(0);

    inFlight.release();
    expect(head.disposed).toBe(1);
    model.retire();
    expect(head.disposed).toBe(1);
  });

  it('frees an unused head as soon as it is retired', () => {
    const head = countingHead();
    const model = new LoadedModel(record, head, 0);
    model.acquire().release();
    expect(head.disposed).toBe(0);
    model.retire();
    expect(head.disposed).toBe(1);
  });
});
