import { Client } from 'minio';
import { presignS3Url } from './s3-presigner';

const aws = {
  accessKey: 'AKIAIOSFODNN7EXAMPLE',
  secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
};

describe('presignS3Url', () => {
  it('reproduces the presigned URL of the AWS SigV4 documentation', () => {
    const url = presignS3Url(
      {
        method: 'GET',
        url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
        expiresInS: 86400,
        now: new Date('2013-05-24T00:00:00Z'),
      },
      aws,
    );
    expect(new URL(url).searchParams.get('X-Amz-Signature')).toBe(
      'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('signs path-style URLs on a custom port exactly as minio-js does', async () => {
    const now = new Date('2026-11-28T12:34:56Z');
    const client = new Client({
      endPoint: '127.0.0.1',
      port: 9000,
      useSSL: false,
      pathStyle: true,
      ...aws,
    });
    const theirs = await client.presignedUrl(
      'GET',
      'vireo',
      'originals/k=v/a_b-c.png',
      600,
      { 'response-content-type': 'image/png' },
      now,
    );
    const ours = presignS3Url(
      {
        method: 'GET',
        url: new URL('http://127.0.0.1:9000/vireo/originals/k=v/a_b-c.png'),
        expiresInS: 600,
        query: { 'response-content-type': 'image/png' },
        now,
      },
      aws,
    );
    const signature = (url: string) => new URL(url).searchParams.get('X-Amz-Signature');
    expect(signature(ours)).toBe(signature(theirs));
    expect(new URL(ours).pathname).toBe(new URL(theirs).pathname);
  });

  it('signs the headers an upload must carry', () => {
    const sign = (headers: Record<string, string>) =>
      new URL(
        presignS3Url(
          {
            method: 'PUT',
            url: new URL('http://127.0.0.1:9000/vireo/a.png'),
            expiresInS: 60,
            headers,
            now: new Date('2026-11-28T12:00:00Z'),
          },
          aws,
        ),
      ).searchParams;
    const png = sign({ 'Content-Type': 'image/png', 'Content-Length': '10' });
    expect(png.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    const jpeg = sign({ 'Content-Type': 'image/jpeg', 'Content-Length': '10' });
    expect(jpeg.get('X-Amz-Signature')).not.toBe(png.get('X-Amz-Signature'));
  });
});
