import { BackgroundLane } from './background-lane';

/** A foreground of `threads` slots and a lane that may use one only when none is taken or asked for. */
function harness(threads: number) {
  let running = 0;
  let foregroundWaiting = 0;
  const started: string[] = [];
  const finishers: (() => void)[] = [];
  const run = (input: string) =>
    new Promise<string>((resolve) => {
      running++;
      started.push(input);
      finishers.push(() => {
        running--;
        resolve(input);
      });
    });
  const lane = new BackgroundLane<string, string>({
    run,
    busy: () => foregroundWaiting > 0 || running >= threads,
  });
  return {
    lane,
    started,
    foreground: (input: string) => run(input),
    wait: (n: number) => (foregroundWaiting = n),
    /** Ends the oldest running input; like the runtime, then pumps the lane. */
    finishNext: async () => {
      finishers.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
      lane.pump();
    },
  };
}

describe('BackgroundLane', () => {
  it('starts background work only on a free thread, one input at a time', async () => {
    const h = harness(1);
    const results = [h.lane.submit('b1'), h.lane.submit('b2')];
    expect(h.started).toEqual(['b1']);
    await h.finishNext();
    expect(h.started).toEqual(['b1', 'b2']);
    await h.finishNext();
    await expect(Promise.all(results)).resolves.toEqual(['b1', 'b2']);
  });

  it('lets real-time work that is running or waiting go first', async () => {
    const h = harness(1);
    void h.foreground('r1');
    const background = h.lane.submit('b1');
    expect(h.started).toEqual(['r1']);
    h.wait(1);
    await h.finishNext();
    expect(h.started).toEqual(['r1']);
    h.wait(0);
    void h.foreground('r2');
    expect(h.started).toEqual(['r1', 'r2']);
    await h.finishNext();
    expect(h.started).toEqual(['r1', 'r2', 'b1']);
    await h.finishNext();
    await expect(background).resolves.toBe('b1');
  });

  it('fails what has not started when closed', async () => {
    const h = harness(1);
    void h.foreground('r1');
    const queued = h.lane.submit('b1');
    h.lane.close();
    await expect(queued).rejects.toThrow(/closed/);
    await expect(h.lane.submit('b2')).rejects.toThrow(/closed/);
  });
});
