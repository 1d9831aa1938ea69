import { Clock } from '../../common/clock';
import { SignedRequest, UrlSigner } from './url-signer';

describe('UrlSigner', () => {
  const clock = new Clock();
  const now = jest.spyOn(clock, 'now');
  const signer = new UrlSigner('a-secret-of-reasonable-length', clock);
  const request: SignedRequest = {
    method: 'PUT',
    key: 'originals/a/b.png',
    expires: 2_000_000_000,
    contentType: 'image/png',
    contentLength: 42,
  };
  const signature = signer.sign(request);
  beforeEach(() => now.mockReturnValue((request.expires - 1) * 1000));

  it('counts the expiry from its clock', () => {
    now.mockReturnValue(1_000_999);
    expect(signer.expiryIn(60)).toBe(1_060);
  });

  it('accepts its own signature until the expiry, then says it expired', () => {
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signer.check(request, signature)).toBe('valid');
    now.mockReturnValue(request.expires * 1000);
    expect(signer.check(request, signature)).toBe('expired');
  });

  it.each<[string, Partial<SignedRequest>]>([
    ['method', { method: 'GET' }],
    ['key', { key: 'originals/a/c.png' }],
    ['expiry', { expires: request.expires + 1 }],
    ['content type', { contentType: 'image/jpeg' }],
    ['content length', { contentLength: 43 }],
    ['missing content length', { contentLength: undefined }],
  ])('refuses the signature for another %s', (_field, change) => {
    expect(signer.check({ ...request, ...change }, signature)).toBe('invalid');
  });

  it('refuses a signature made with another secret, or garbage', () => {
    const other = new UrlSigner('another-secret', clock);
    expect(signer.check(request, other.sign(request))).toBe('invalid');
    expect(signer.check(request, 'short')).toBe('invalid');
  });
});
