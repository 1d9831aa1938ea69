import { Batcher, RunBatch } from './batcher';

/** A runBatch that records its batches and doubles each input (an Error for negatives). */
function doubler() {
  const batches: number[][] = [];
  const run: RunBatch<number, number> = async (inputs) => {
    batches.push(inputs);
    return inputs.map((n) => (n < 0 ? new Error(`negative: ${n}`) : n * 2));
  };
  return { batches, run };
}

describe('Batcher', () => {
  it('runs inputs submitted together as one batch and gives each caller its own result', async () => {
    const { batches, run } = doubler();
    const batcher = new Batcher(run, { maxBatchSize: 10, maxDelayMs: 5 });

    const results = await Promise.all([1, 2, 3, 4].map((n) => batcher.submit(n)));

    expect(results).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('sends a batch as soon as it is full, without waiting for the delay', async () => {
    const { batches, run } = doubler();
    const batcher = new Batcher(run, { maxBatchSize: 3, maxDelayMs: 60_000 });

    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => batcher.submit(n)));

    expect(results).toEqual([2, 4, 6, 8, 10, 12]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('sends an input at once while the runner is idle, and batches while it is busy', async () => {
    const { batches, run } = doubler();
    let running = 0;
    const batcher = new Batcher(
      async (inputs: number[]) => {
        running++;
        try {
          return await run(inputs);
        } finally {
          running--;
        }
      },
      { maxBatchSize: 100, maxDelayMs: 60_000, idle: () => running === 0 },
    );

    const first = batcher.submit(1);
    const rest = [2, 3, 4].map((n) => batcher.submit(n));
    batcher.close();

    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6, 8]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('sends a partial batch once the delay since its first input has passed', async () => {
    const { batches, run } = doubler();
    const batcher = new Batcher(run, { maxBatchSize: 100, maxDelayMs: 30 });
    const started = Date.now();

    const first = batcher.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = batcher.submit(2);

    expect(await Promise.all([first, second])).toEqual([2, 4]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(batches).toEqual([[1, 2]]);
  });

  it('fails only the caller whose input failed', async () => {
    const { batches, run } = doubler();
    const batcher = new Batcher(run, { maxBatchSize: 10, maxDelayMs: 1 });

    const results = await Promise.allSettled([1, -2, 3].map((n) => batcher.submit(n)));

    expect(batches).toHaveLength(1);
    expect(results).toEqual([
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: new Error('negative: -2') },
      { status: 'fulfilled', value: 6 },
    ]);
  });

  it('fails every caller of a batch that fails as a whole, and goes on with the next', async () => {
    let calls = 0;
    const batcher = new Batcher<number, number>(
      async (inputs) => {
        calls++;
        if (calls === 1) throw new Error('thread died');
        return inputs;
      },
      { maxBatchSize: 2, maxDelayMs: 1 },
    );

    const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    const next = await batcher.submit(3);

    expect(failed.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual([
      'thread died',
      'thread died',
    ]);
    expect(next).toBe(3);
  });

  it('fails a batch whose runner returns the wrong number of results', async () => {
    const batcher = new Batcher<number, number>(async () => [1], {
      maxBatchSize: 2,
      maxDelayMs: 1,
    });

    const results = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('on close, sends what is waiting and refuses new inputs', async () => {
    const { batches, run } = doubler();
    const batcher = new Batcher(run, { maxBatchSize: 10, maxDelayMs: 60_000 });

    const waiting = batcher.submit(5);
    batcher.close();

    expect(await waiting).toBe(10);
    expect(batches).toEqual([[5]]);
    await expect(batcher.submit(6)).rejects.toThrow('closed');
  });

  it('refuses a batch size below 1', () => {
    expect(() => new Batcher(doubler().run, { maxBatchSize: 0, maxDelayMs: 1 })).toThrow(
      RangeError,
    );
  });
});
