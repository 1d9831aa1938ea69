import { createHash, createHmac } from 'node:crypto';

export interface S3Credentials {
  accessKey: string;
  secretKey: string;
  region: string;
}

export interface PresignRequest {
  method: 'GET' | 'PUT';
  /** The object's URL (no query). */
  url: URL;
  expiresInS: number;
  /** Headers the request must then carry with exactly these values. */
  headers?: Record<string, string>;
  /** Extra signed query parameters, e.g. `response-content-type`. */
  query?: Record<string, string>;
  now?: Date;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * An AWS Signature V4 presigned URL (query-string auth, unsigned payload). minio-js never
 * signs Content-Type or Content-Length; this does, so S3 and MinIO refuse an upload that
 * differs from what was signed.
 */
export function presignS3Url(request: PresignRequest, credentials: S3Credentials): string {
  const amzDate = (request.now ?? new Date()).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const scope = `${amzDate.slice(0, 8)}/${credentials.region}/s3/aws4_request`;
  const headers = canonicalHeaders({ ...request.headers, host: request.url.host });
  const signedHeaders = headers.map(([name]) => name).join(';');
  const query = canonicalQuery({
    ...request.query,
    'X-Amz-Algorithm': ALGORITHM,
    'X-Amz-Credential': `${credentials.accessKey}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': String(request.expiresInS),
    'X-Amz-SignedHeaders': signedHeaders,
  });
  const path = request.url.pathname
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/');
  const canonicalRequest = [
    request.method,
    path,
    query,
    headers.map(([name, value]) => `${name}:${value}\n`).join(''),
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = [amzDate.slice(0, 8), credentials.region, 's3', 'aws4_request'].reduce<
    Buffer | string
  >((key, part) => hmac(key, part), `AWS4${credentials.secretKey}`);
  const signature = hmac(signingKey, stringToSign).toString('hex');
  return `${request.url.origin}${path}?${query}&X-Amz-Signature=${signature}`;
}

function canonicalHeaders(headers: Record<string, string>): [string, string][] {
  return Object.entries(headers)
    .map(([name, value]): [string, string] => [
      name.toLowerCase(),
      value.trim().replace(/\s+/g, ' '),
    ])
    .sort(([a], [b]) => compare(a, b));
}

function canonicalQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([name, value]) => [uriEncode(name), uriEncode(value)])
    .sort(([a], [b]) => compare(a, b))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}
