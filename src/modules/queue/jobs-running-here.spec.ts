import { JobsRunningHere } from './jobs-running-here';

/** A handler that runs until `finish()` is called. */
function blockingHandler() {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  return { handler: () => finished, finish };
}

describe('JobsRunningHere', () => {
  it('counts a job while its handler runs, also when it throws', async () => {
    const running = new JobsRunningHere();
    const { handler, finish } = blockingHandler();
    const job = running.counted('process-image', handler)({});
    expect(running.count('process-image')).toBe(1);
    expect(running.count('batch')).toBe(0);
    finish();
    await job;
    expect(running.count('process-image')).toBe(0);

    const failing = running.counted('process-image', () => Promise.reject(new Error('boom')));
    await expect(failing({})).rejects.toThrow('boom');
    expect(running.count('process-image')).toBe(0);
  });

  it('is idle at once when nothing runs, else when the last job ends', async () => {
    const running = new JobsRunningHere();
    await running.idle('process-image', 60_000);

    const first = blockingHandler();
    const second = blockingHandler();
    const jobs = [
      running.counted('process-image', first.handler)({}),
      running.counted('process-image', second.handler)({}),
    ];
    let idle = false;
    const waiting = running.idle('process-image', 60_000).then(() => (idle = true));
    first.finish();
    await jobs[0];
    expect(idle).toBe(false);
    second.finish();
    await Promise.all([...jobs, waiting]);
    expect(idle).toBe(true);
  });

  it('stops waiting after maxWaitMs while jobs still run', async () => {
    jest.useFakeTimers();
    try {
      const running = new JobsRunningHere();
      const { handler, finish } = blockingHandler();
      const job = running.counted('process-image', handler)({});
      let idle = false;
      const waiting = running.idle('process-image', 1_000).then(() => (idle = true));
      await jest.advanceTimersByTimeAsync(999);
      expect(idle).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await waiting;
      expect(idle).toBe(true);
      expect(running.count('process-image')).toBe(1);
      finish();
      await job;
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('JobsRunningHere.quiet', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is quiet at once when no job has run yet', async () => {
    await expect(new JobsRunningHere().quiet('process-image', 2_000, 0)).resolves.toBe(true);
  });

  it('turns quiet quietMs after the last job ended, not before', async () => {
    const running = new JobsRunningHere();
    const { handler, finish } = blockingHandler();
    const job = running.counted('process-image', handler)({});
    await expect(running.quiet('process-image', 2_000, 0)).resolves.toBe(false);

    let quiet: boolean | undefined;
    const waiting = running.quiet('process-image', 2_000, 60_000).then((q) => (quiet = q));
    await jest.advanceTimersByTimeAsync(5_000);
    expect(quiet).toBeUndefined();
    finish();
    await job;
    await jest.advanceTimersByTimeAsync(1_999);
    expect(quiet).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    await waiting;
    expect(quiet).toBe(true);
    await expect(running.quiet('batch', 2_000, 0)).resolves.toBe(true);
  });

  it('gives up after maxWaitMs while jobs keep coming', async () => {
    const running = new JobsRunningHere();
    const job = () => running.counted('process-image', () => Promise.resolve())({});
    await job();
    let quiet: boolean | undefined;
    const waiting = running.quiet('process-image', 2_000, 3_000).then((q) => (quiet = q));
    for (let t = 0; t < 3; t++) {
      await jest.advanceTimersByTimeAsync(1_000);
      await job();
    }
    await waiting;
    expect(quiet).toBe(false);
  });
});
