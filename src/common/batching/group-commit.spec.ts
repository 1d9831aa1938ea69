import { BatchWriter, GroupCommit } from './group-commit';

/** A writer that records its batches and finishes each only when the test says so. */
function heldWriter() {
  const batches: number[][] = [];
  const release: (() => void)[] = [];
  const write: BatchWriter<number, number> = async (items) => {
    batches.push(items);
    await new Promise<void>((resolve) => release.push(resolve));
    return items.map((n) =>
      n < 0
        ? { status: 'rejected', reason: new Error(`bad ${n}`) }
        : { status: 'fulfilled', value: n * 10 },
    );
  };
  return { batches, release, write };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('writes the calls of one turn as one batch, each caller getting its own outcome', async () => {
    const writer = heldWriter();
    const group = new GroupCommit(writer.write, { maxInFlight: 1, maxBatch: 100 });
    const results = [1, -2, 3].map((n) => group.submit(n).catch((error: Error) => error.message));
    await nextTurn();
    writer.release.shift()!();
    expect(await Promise.all(results)).toEqual([10, 'bad -2', 30]);
    expect(writer.batches).toEqual([[1, -2, 3]]);
  });

  it('gathers calls made while a batch is written into the next batch, and no sooner', async () => {
    const writer = heldWriter();
    const group = new GroupCommit(writer.write, { maxInFlight: 1, maxBatch: 100 });
    const first = group.submit(1);
    await nextTurn();
    const later = [2, 3, 4].map((n) => group.submit(n));
    await nextTurn();
    expect(writer.batches).toEqual([[1]]);
    let laterSettled = false;
    void Promise.all(later).then(() => (laterSettled = true));
    writer.release.shift()!();
    expect(await first).toBe(10);
    await nextTurn();
    expect(writer.batches).toEqual([[1], [2, 3, 4]]);
    expect(laterSettled).toBe(false);
    writer.release.shift()!();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
  });

  it('splits at maxBatch and writes up to maxInFlight batches at once', async () => {
    const writer = heldWriter();
    const group = new GroupCommit(writer.write, { maxInFlight: 2, maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((n) => group.submit(n));
    await nextTurn();
    expect(writer.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    writer.release.shift()!();
    await nextTurn();
    await nextTurn();
    expect(writer.batches).toEqual([[1, 2], [3, 4], [5]]);
    while (writer.release.length) writer.release.shift()!();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
  });

  it("rejects a failed batch's callers with its error, and goes on with the next batch", async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(
      async (items) => {
        if (++calls === 1) throw new Error('connection lost');
        return items.map((n) => ({ status: 'fulfilled', value: n }));
      },
      { maxInFlight: 1, maxBatch: 100 },
    );
    const failed = [1, 2].map((n) => group.submit(n).catch((error: Error) => error.message));
    expect(await Promise.all(failed)).toEqual(['connection lost', 'connection lost']);
    expect(await group.submit(3)).toBe(3);
  });
});
