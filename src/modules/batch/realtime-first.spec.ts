import { JobQueue } from '../queue/job-queue';
import { JobsRunningHere } from '../queue/jobs-running-here';
import { IMAGES_AT_ONCE, QUIET_MS, RealtimeFirst } from './realtime-first';

/** The two calls RealtimeFirst makes, answered by a real JobsRunningHere. */
function queueWith(running: JobsRunningHere): JobQueue {
  return {
    idleHere: (queue, maxWaitMs) => running.idle(queue, maxWaitMs),
    quietHere: (queue, quietMs, maxWaitMs) => running.quiet(queue, quietMs, maxWaitMs),
  } as Pick<JobQueue, 'idleHere' | 'quietHere'> as JobQueue;
}

describe('RealtimeFirst', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs every item once, IMAGES_AT_ONCE at a time while real-time work is quiet', async () => {
    const realtimeFirst = new RealtimeFirst(queueWith(new JobsRunningHere()));
    const items = Array.from({ length: 10 }, (_, i) => i);
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    const run = realtimeFirst.forEach(items, async (item) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 100));
      inFlight--;
      done.push(item);
    });
    await jest.advanceTimersByTimeAsync(500);
    await run;
    expect(done.sort((a, b) => a - b)).toEqual(items);
    expect(most).toBe(IMAGES_AT_ONCE);
  });

  it('takes one item at a time, resting as long as it took, while real-time jobs run here', async () => {
    const running = new JobsRunningHere();
    const realtimeFirst = new RealtimeFirst(queueWith(running));
    // A real-time job just ended: not quiet for QUIET_MS.
    await running.counted('process-image', () => Promise.resolve())({});
    let inFlight = 0;
    let most = 0;
    const startedAt: number[] = [];
    const run = realtimeFirst.forEach([1, 2, 3], async () => {
      startedAt.push(Date.now());
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 100));
      inFlight--;
    });
    await jest.advanceTimersByTimeAsync(QUIET_MS / 2);
    await run;
    expect(most).toBe(1);
    expect(startedAt[1] - startedAt[0]).toBeGreaterThanOrEqual(200);
    expect(startedAt[2] - startedAt[1]).toBeGreaterThanOrEqual(200);
  });

  it('starts an item once the real-time job running here ends', async () => {
    const running = new JobsRunningHere();
    const realtimeFirst = new RealtimeFirst(queueWith(running));
    let finishRealtime!: () => void;
    const realtime = running.counted(
      'process-image',
      () => new Promise<void>((resolve) => (finishRealtime = resolve)),
    )({});
    let started = false;
    const run = realtimeFirst.forEach([1], () => Promise.resolve(void (started = true)));
    await jest.advanceTimersByTimeAsync(500);
    expect(started).toBe(false);
    finishRealtime();
    await realtime;
    await jest.advanceTimersByTimeAsync(0);
    expect(started).toBe(true);
    await jest.advanceTimersByTimeAsync(QUIET_MS);
    await run;
  });
});
