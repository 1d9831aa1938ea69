import { ReadinessLog } from './readiness-log';

describe('ReadinessLog', () => {
  it('logs each change once, however often the same state is probed', () => {
    const logger = { log: jest.fn(), warn: jest.fn() };
    const log = new ReadinessLog(logger);
    const probes = [
      [],
      [],
      ['model'],
      ['model'],
      ['model'],
      ['model', 'queue'],
      ['queue', 'model'],
    ];
    for (const failed of probes) log.record(failed);
    log.record([]);
    log.record([]);
    expect(logger.warn.mock.calls).toEqual([
      ['Not ready: model failed'],
      ['Not ready: model, queue failed'],
    ]);
    expect(logger.log.mock.calls).toEqual([['Ready again']]);
  });
});
