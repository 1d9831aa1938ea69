import { HttpStatus, Injectable } from '@nestjs/common';
import { AppError } from '../../../common/app-error';
import { AppConfig } from '../../../config';
import { Broadcaster } from '../../broadcast/broadcaster';
import { SessionRepository, UserRepository } from '../../persistence';
import { AccessTokenService } from './access-token.service';
import { AuthErrors } from './auth-errors';
import { LoginThrottle } from './login-throttle';
import { UNKNOWN_USER_PASSWORD_HASH, verifyPassword } from './password-hasher';
import { knownScopes, Principal } from './principal';
import {
  newRefreshSecret,
  parseRefreshToken,
  refreshSecretMatches,
  refreshToken,
} from './session-token';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** Password login, refresh-token rotation and logout for users. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly accessTokens: AccessTokenService,
    private readonly throttle: LoginThrottle,
    private readonly broadcaster: Broadcaster,
    private readonly config: AppConfig,
  ) {}

  async login(email: string, password: string, clientIp: string): Promise<TokenPair> {
    await this.throttle.beforeAttempt(email, clientIp);
    const user = await this.users.findByEmail(email);
    const matches = await verifyPassword(
      password,
      user?.passwordHash ?? UNKNOWN_USER_PASSWORD_HASH,
    );
    if (!user || !matches || user.disabledAt) {
      throw new AppError(HttpStatus.UNAUTHORIZED, 'invalid_login', 'Email or password is wrong');
    }
    const { secret, secretHash } = newRefreshSecret();
    const session = await this.sessions.create({
      userId: user.id,
      refreshHash: secretHash,
      expiresAt: this.refreshExpiry(),
    });
    return this.tokens(user.id, knownScopes(user.scopes), session.id, secret);
  }

  /** Rotates the refresh token; presenting an already-rotated one revokes the session. */
  async refresh(token: string): Promise<TokenPair> {
    const parts = parseRefreshToken(token);
    if (!parts) throw AuthErrors.malformed();
    const session = await this.sessions.findById(parts.sessionId);
    if (!session || !refreshSecretMatches(parts.secret, session.refreshHash)) {
      if (session && !session.revokedAt) await this.revoke(session.id);
      throw AuthErrors.invalid();
    }
    if (session.revokedAt) throw AuthErrors.revoked();
    if (session.expiresAt <= new Date()) throw AuthErrors.expired();
    const user = await this.users.findById(session.userId);
    if (!user || user.disabledAt) throw AuthErrors.revoked();
    const { secret, secretHash } = newRefreshSecret();
    const rotated = await this.sessions.rotate(
      session.id,
      session.refreshHash,
      secretHash,
      this.refreshExpiry(),
    );
    if (!rotated) throw AuthErrors.invalid();
    return this.tokens(user.id, knownScopes(user.scopes), session.id, secret);
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.sessionId) await this.revoke(principal.sessionId);
  }

  private async revoke(sessionId: string): Promise<void> {
    await this.sessions.revoke(sessionId);
    await this.broadcaster.publish('credentials-changed', { sessionId });
  }

  private async tokens(
    userId: string,
    scopes: Principal['scopes'],
    sessionId: string,
    secret: string,
  ): Promise<TokenPair> {
    return {
      accessToken: await this.accessTokens.issue(userId, sessionId, scopes),
      refreshToken: refreshToken(sessionId, secret),
      tokenType: 'Bearer',
      expiresIn: this.accessTokens.ttlS,
    };
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.auth.jwtRefreshTtlS * 1000);
  }
}
