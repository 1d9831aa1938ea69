import { LoginThrottle } from './login-throttle';

describe('LoginThrottle.delayFor', () => {
  it('lets the first attempts through at once, then doubles the wait up to a ceiling', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(LoginThrottle.delayFor)).toEqual([
      0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000,
    ]);
  });
});
