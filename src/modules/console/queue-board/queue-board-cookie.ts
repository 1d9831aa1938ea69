import { Injectable } from '@nestjs/common';
import { fastifyCookie } from '@fastify/cookie';
import { AppConfig, SigningSecret } from '../../../config';

export const QUEUE_BOARD_PATH = '/admin/queues';
export const QUEUE_BOARD_COOKIE = 'vireo_queue_board';

/**
 * The queue dashboard's cookie: the login session's id, signed (HMAC-SHA256, the signing
 * secret), HttpOnly, SameSite=Strict and sent only to the dashboard's path. It lives as long
 * as the session may; the session itself is checked on every request, so logout ends it.
 */
@Injectable()
export class QueueBoardCookie {
  private readonly signer: ReturnType<typeof fastifyCookie.signerFactory>;
  private readonly secure: boolean;

  constructor(
    secret: SigningSecret,
    private readonly config: AppConfig,
  ) {
    this.signer = fastifyCookie.signerFactory(secret.value);
    this.secure = config.http.publicUrl.startsWith('https:');
  }

  /** A Set-Cookie value carrying `sessionId`. */
  issue(sessionId: string): string {
    return this.setCookie(this.signer.sign(sessionId), this.config.auth.jwtRefreshTtlS);
  }

  /** A Set-Cookie value that removes it. */
  clear(): string {
    return this.setCookie('', 0);
  }

  /** The session id of a request's Cookie header, when its signature holds. */
  sessionIdFrom(cookieHeader: string | undefined): string | null {
    const value = cookieHeader
      ?.split(';')
      .map((pair) => pair.trim())
      .find((pair) => pair.startsWith(`${QUEUE_BOARD_COOKIE}=`))
      ?.slice(QUEUE_BOARD_COOKIE.length + 1);
    if (!value) return null;
    const unsigned = this.signer.unsign(value);
    return unsigned.valid ? unsigned.value : null;
  }

  /**
   * Written here rather than with @fastify/cookie's `serialize`/`parse`: those need its plugin
   * registered first (they load the ESM-only `cookie` package lazily). The value, a uuid and
   * its base64 signature, needs no encoding.
   */
  private setCookie(value: string, maxAgeS: number): string {
    const attributes = [`Path=${QUEUE_BOARD_PATH}`, `Max-Age=${maxAgeS}`, 'HttpOnly'];
    attributes.push('SameSite=Strict', ...(this.secure ? ['Secure'] : []));
    return [`${QUEUE_BOARD_COOKIE}=${value}`, ...attributes].join('; ');
  }
}
