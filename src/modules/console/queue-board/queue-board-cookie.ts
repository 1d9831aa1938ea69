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
    return fastifyCookie.serialize(QUEUE_BOARD_COOKIE, this.signer.sign(sessionId), {
      ...this.attributes(),
      maxAge: this.config.auth.jwtRefreshTtlS,
    });
  }

  /** A Set-Cookie value that removes it. */
  clear(): string {
    return fastifyCookie.serialize(QUEUE_BOARD_COOKIE, '', { ...this.attributes(), maxAge: 0 });
  }

  /** The session id of a request's Cookie header, when its signature holds. */
  sessionIdFrom(cookieHeader: string | undefined): string | null {
    if (!cookieHeader) return null;
    const value = fastifyCookie.parse(cookieHeader)[QUEUE_BOARD_COOKIE];
    if (!value) return null;
    const unsigned = this.signer.unsign(value);
    return unsigned.valid ? unsigned.value : null;
  }

  private attributes() {
    return {
      path: QUEUE_BOARD_PATH,
      httpOnly: true,
      sameSite: 'strict' as const,
      secure: this.secure,
    };
  }
}
