import { Logger } from '@nestjs/common';
import { PeriodicPass } from './periodic-pass';

describe('PeriodicPass', () => {
  const logger = { warn: jest.fn() } as unknown as Logger;

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs at start and on every interval, never two passes at once', async () => {
    let finish = () => {};
    const pass = jest.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const passes = new PeriodicPass(logger, 'Test pass', pass);
    passes.start(1_000);
    expect(pass).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(pass).toHaveBeenCalledTimes(1); // the first is still running
    finish();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(pass).toHaveBeenCalledTimes(2);
    finish();
    await passes.stop();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(pass).toHaveBeenCalledTimes(2);
  });

  it('logs a failed pass and goes on with the next', async () => {
    const pass = jest
      .fn<Promise<void>, []>()
      .mockRejectedValueOnce(new Error('database down'))
      .mockResolvedValue();
    const passes = new PeriodicPass(logger, 'Test pass', pass);
    passes.start(1_000);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(logger.warn).toHaveBeenCalledWith('Test pass failed: database down');
    expect(pass).toHaveBeenCalledTimes(2);
    await passes.stop();
  });

  it('stop waits for the pass in flight', async () => {
    let finish = () => {};
    const passes = new PeriodicPass(
      logger,
      'Test pass',
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    passes.start(1_000);
    let stopped = false;
    const stopping = passes.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(stopped).toBe(true);
  });
});
