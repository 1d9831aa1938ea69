import { BatchRunRecord, BatchRunRepository } from '../persistence';
import { QueueUnavailableError } from '../queue/queue-unavailable';
import { BatchJobRegistry } from './batch-job-registry';
import { BatchLauncher } from './batch-launcher';
import { BatchSteps } from './batch-steps';

const queuedRun = { id: 'run-1', job: 'daily-report', status: 'queued' } as BatchRunRecord;

/** A launcher over one handler, a repository that records every run `queued`, and `steps`. */
function launcherWith(steps: Pick<BatchSteps, 'queueRun'>) {
  const handler = { parseOptions: (body: unknown) => body, subject: () => Promise.resolve('day') };
  const registry = { find: () => handler } as unknown as BatchJobRegistry;
  const runs = { create: jest.fn(() => Promise.resolve(queuedRun)), fail: jest.fn() };
  const launcher = new BatchLauncher(
    registry,
    runs as unknown as BatchRunRepository,
    steps as BatchSteps,
  );
  return { launcher, runs };
}

describe('BatchLauncher', () => {
  it('queues the first step of the run it records', async () => {
    const queueRun = jest.fn(() => Promise.resolve());
    const { launcher } = launcherWith({ queueRun });
    await expect(launcher.start('daily-report', {})).resolves.toBe(queuedRun);
    expect(queueRun).toHaveBeenCalledWith('run-1');
  });

  it('leaves the run queued for the reconciler when the queue is down, and says so (503)', async () => {
    const down = new QueueUnavailableError();
    const { launcher, runs } = launcherWith({ queueRun: () => Promise.reject(down) });
    await expect(launcher.start('daily-report', {})).rejects.toBe(down);
    expect(runs.fail).not.toHaveBeenCalled();
  });
});
