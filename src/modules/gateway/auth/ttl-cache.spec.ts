import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  let now = 0;
  const cache = () => new TtlCache<string, number>(1000, 2, () => now);

  beforeEach(() => (now = 0));

  it('forgets an entry once its time is up', () => {
    const c = cache();
    c.set('a', 1);
    now = 999;
    expect(c.get('a')).toBe(1);
    now = 1000;
    expect(c.get('a')).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const c = cache();
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual([undefined, 2, 3]);
  });

  it('clears everything at once', () => {
    const c = cache();
    c.set('a', 1);
    c.clear();
    expect(c.get('a')).toBeUndefined();
  });
});
