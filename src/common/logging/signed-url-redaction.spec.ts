import { redactSignatures, signatureFreeSerializers } from './signed-url-redaction';

const appUrl =
  '/v1/storage/objects/staging/o/i?exp=1796190171&ct=image%2Fjpeg&len=12&sig=AbC-123_xyz';
const s3Url =
  'http://s3:9000/vireo/originals/o/i?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k%2F' +
  '20261202%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261202T000000Z&X-Amz-Expires=300&' +
  'X-Amz-SignedHeaders=host&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f0';

describe('signed URLs in logs', () => {
  it("redacts the app's and S3's signatures, and nothing else", () => {
    expect(redactSignatures(appUrl)).toBe(appUrl.replace('AbC-123_xyz', '[Redacted]'));
    const s3 = redactSignatures(s3Url);
    expect(s3).not.toContain('0f1e2d3c');
    expect(s3).toContain('X-Amz-Signature=[Redacted]');
    expect(s3).toContain('X-Amz-Expires=300');
    expect(redactSignatures('/v1/images?signal=1&design=x')).toBe('/v1/images?signal=1&design=x');
  });

  it('redacts request URLs and queries, Location headers and error messages', () => {
    const req = signatureFreeSerializers.req({
      method: 'PUT',
      url: appUrl,
      query: { exp: '1', sig: 'AbC-123_xyz' },
    });
    expect(JSON.stringify(req)).not.toContain('AbC-123_xyz');
    expect(req).toMatchObject({ method: 'PUT', query: { exp: '1', sig: '[Redacted]' } });
    const res = signatureFreeSerializers.res({ statusCode: 302, headers: { location: s3Url } });
    expect(JSON.stringify(res)).not.toContain('0f1e2d3c');
    const err = signatureFreeSerializers.err({ message: `GET ${s3Url} failed`, stack: s3Url });
    expect(JSON.stringify(err)).not.toContain('0f1e2d3c');
  });
});
