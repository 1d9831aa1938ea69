import { assertJobId, retryDelayMs } from './job-policy';

describe('retryDelayMs', () => {
  it('doubles the wait after each failed attempt', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(1000, attempt))).toEqual([
      1000, 2000, 4000, 8000,
    ]);
  });
});

describe('assertJobId', () => {
  it.each(['img-1.clean', '5f0c6a2e-7d1b-4c1e-9a4b-0e1f2a3b4c5d.embed', 'sweep.1700000000000'])(
    'accepts %s',
    (id) => expect(() => assertJobId(id)).not.toThrow(),
  );

  it.each(['42', 'a:b', '', 'with space'])('refuses "%s"', (id) => {
    expect(() => assertJobId(id)).toThrow(/Invalid job id/);
  });
});
