import { Test } from '@nestjs/testing';
import { Broadcaster } from '../../broadcast/broadcaster';
import { InProcessBroadcaster } from '../../broadcast/in-process-broadcaster';
import { CredentialCache } from './credential-cache';

describe('CredentialCache', () => {
  let cache: CredentialCache;
  let broadcaster: InProcessBroadcaster;

  beforeEach(async () => {
    broadcaster = new InProcessBroadcaster();
    const moduleRef = await Test.createTestingModule({
      providers: [CredentialCache, { provide: Broadcaster, useValue: broadcaster }],
    }).compile();
    cache = (await moduleRef.init()).get(CredentialCache);
  });

  it('shares one lookup among concurrent callers of one key', async () => {
    let lookups = 0;
    let finish!: (value: string) => void;
    const load = () => {
      lookups += 1;
      return new Promise<string>((resolve) => (finish = resolve));
    };
    const callers = [cache.getOrLoad('key:a', load), cache.getOrLoad('key:a', load)];
    finish('record');
    expect(await Promise.all(callers)).toEqual(['record', 'record']);
    expect(await cache.getOrLoad('key:a', load)).toBe('record');
    expect(lookups).toBe(1);
  });

  it('caches an unknown credential (null) like a known one', async () => {
    const load = jest.fn().mockResolvedValue(null);
    expect(await cache.getOrLoad('session:gone', load)).toBeNull();
    expect(await cache.getOrLoad('session:gone', load)).toBeNull();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('forgets everything when a credential change is broadcast', async () => {
    const load = jest.fn().mockResolvedValueOnce('old').mockResolvedValueOnce('new');
    expect(await cache.getOrLoad('key:a', load)).toBe('old');
    // Subscribed after the cache: delivered to it once the cache has had the message.
    const delivered = new Promise<void>((resolve) =>
      broadcaster.subscribe('credentials-changed', () => resolve()),
    );
    await broadcaster.publish('credentials-changed', { keyId: 'a' });
    await delivered;
    expect(await cache.getOrLoad('key:a', load)).toBe('new');
  });
});
