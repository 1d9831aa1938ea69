import { SignedRequest, UrlSigner } from './url-signer';

describe('UrlSigner', () => {
  const signer = new UrlSigner('a-secret-of-reasonable-length');
  const request: SignedRequest = {
    method: 'PUT',
    key: 'originals/a/b.png',
    expires: 2_000_000_000,
    contentType: 'image/png',
    contentLength: 42,
  };
  const signature = signer.sign(request);
  const before = (request.expires - 1) * 1000;

  it('accepts its own signature until the expiry, then says it expired', () => {
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signer.check(request, signature, before)).toBe('valid');
    expect(signer.check(request, signature, request.expires * 1000)).toBe('expired');
  });

  it.each<[string, Partial<SignedRequest>]>([
    ['method', { method: 'GET' }],
    ['key', { key: 'originals/a/c.png' }],
    ['expiry', { expires: request.expires + 1 }],
    ['content type', { contentType: 'image/jpeg' }],
    ['content length', { contentLength: 43 }],
    ['missing content length', { contentLength: undefined }],
  ])('refuses the signature for another %s', (_field, change) => {
    expect(signer.check({ ...request, ...change }, signature, before)).toBe('invalid');
  });

  it('refuses a signature made with another secret, or garbage', () => {
    expect(signer.check(request, new UrlSigner('another-secret').sign(request), before)).toBe(
      'invalid',
    );
    expect(signer.check(request, 'short', before)).toBe('invalid');
  });
});
