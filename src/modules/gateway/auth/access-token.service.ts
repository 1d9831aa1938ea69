import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../../config';
import { Scope } from './principal';

export const JWT_ISSUER = 'vireo';
export const JWT_AUDIENCE = 'vireo-api';
export const JWT_ALGORITHM = 'HS256';

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  scopes: Scope[];
  typ: 'access';
}

/** Short-lived HS256 access tokens, bound to a login session that logout revokes. */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  get ttlS(): number {
    return this.config.auth.jwtAccessTtlS;
  }

  issue(userId: string, sessionId: string, scopes: Scope[]): Promise<string> {
    const claims: AccessTokenClaims = { sub: userId, sid: sessionId, scopes, typ: 'access' };
    return this.jwt.signAsync(claims, {
      algorithm: JWT_ALGORITHM,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: this.ttlS,
    });
  }
}
