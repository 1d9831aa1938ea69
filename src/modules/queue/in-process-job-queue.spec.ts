import { InProcessJobQueue } from './in-process-job-queue';

const settings = { concurrency: 1, attempts: 3, backoffMs: 1000, lockMs: 30_000 };

describe('InProcessJobQueue schedules', () => {
  let queue: InProcessJobQueue;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-15T12:00:00Z') });
    queue = new InProcessJobQueue(settings);
  });
  afterEach(async () => {
    await queue.close();
    jest.useRealTimers();
  });

  const waiting = async () => (await queue.counts('sweep-uploads')).waiting;

  it('adds a cron job at its time, in UTC, even beyond the longest timer (24.8 days)', async () => {
    const hour = 3600 * 1000;
    await queue.schedule('sweep-uploads', 'yearly', { cron: '0 3 1 3 *' }, {});
    // From 2030-01-15T12:00Z to 2030-03-01T03:00Z: 44 days and 15 hours.
    await jest.advanceTimersByTimeAsync(44 * 24 * hour + 15 * hour - 1000);
    expect(await waiting()).toBe(0);
    await jest.advanceTimersByTimeAsync(1000);
    expect(await waiting()).toBe(1);
  });

  it('adds an interval job at once, then once per interval', async () => {
    await queue.schedule('sweep-uploads', 'sweep', { everyMs: 60_000 }, {});
    expect(await waiting()).toBe(1);
    await jest.advanceTimersByTimeAsync(3 * 60_000);
    expect(await waiting()).toBe(4);
  });

  it('stops adding jobs once closed', async () => {
    await queue.schedule('sweep-uploads', 'sweep', { everyMs: 60_000 }, {});
    await queue.close();
    await jest.advanceTimersByTimeAsync(3 * 60_000);
    expect(await waiting()).toBe(1);
  });
});
