import { isDependencyOutage } from './dependency-outage';

describe('isDependencyOutage', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
  });

  it.each([
    ['a refused connection', refused],
    ['one wrapped as a cause', new Error('query failed', { cause: refused })],
    [
      'one inside a driver adapter error',
      Object.assign(new Error('x'), { meta: { driverAdapterError: { cause: refused } } }),
    ],
    ['a server shutting down (57P01)', Object.assign(new Error('terminating'), { code: '57P01' })],
    ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect')],
    ['an AggregateError of refusals', new AggregateError([refused], '')],
  ])('is true for %s', (_, error) => {
    expect(isDependencyOutage(error)).toBe(true);
  });

  it.each([
    ['a plain bug', new TypeError('x is undefined')],
    ['a unique violation', Object.assign(new Error('Unique constraint failed'), { code: 'P2002' })],
    ['not an error', 'ECONNREFUSED'],
    ['null', null],
  ])('is false for %s', (_, error) => {
    expect(isDependencyOutage(error)).toBe(false);
  });
});
