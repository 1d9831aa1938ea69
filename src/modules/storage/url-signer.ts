import { createHmac, timingSafeEqual } from 'node:crypto';
import { Clock } from '../../common/clock';

export interface SignedRequest {
  method: 'GET' | 'PUT';
  key: string;
  /** Unix seconds. */
  expires: number;
  /** PUT: the Content-Type the upload must carry; GET: the type to answer with. */
  contentType?: string;
  /** PUT: the exact Content-Length the upload must have. */
  contentLength?: number;
}

export type SignatureCheck = 'valid' | 'expired' | 'invalid';

/**
 * HMAC-SHA256 over everything a signed app URL allows, so no part of it can be changed.
 * Expiry is counted on `clock`.
 */
export class UrlSigner {
  constructor(
    private readonly secret: string,
    private readonly clock: Clock,
  ) {}

  /** The `expires` of a request signed now that lasts `expiresInS` seconds. */
  expiryIn(expiresInS: number): number {
    return Math.floor(this.clock.now() / 1000) + expiresInS;
  }

  sign(request: SignedRequest): string {
    const { method, key, expires, contentType = '', contentLength = '' } = request;
    return createHmac('sha256', this.secret)
      .update(['v1', method, key, expires, contentType, contentLength].join('\n'))
      .digest('base64url');
  }

  check(request: SignedRequest, signature: string): SignatureCheck {
    const expected = Buffer.from(this.sign(request));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return request.expires * 1000 <= this.clock.now() ? 'expired' : 'valid';
  }
}
