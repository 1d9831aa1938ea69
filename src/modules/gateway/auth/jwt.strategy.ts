import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { SigningSecret } from '../../../config';
import { AccessTokenClaims, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from './access-token.service';
import { AuthErrors } from './auth-errors';
import { Principal } from './principal';
import { SessionAuthenticator } from './session.authenticator';

/** Access tokens: HS256 only (so `alg: none` and other algorithms are refused), our issuer. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    secret: SigningSecret,
    private readonly sessions: SessionAuthenticator,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: secret.value,
      algorithms: [JWT_ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
    });
  }

  async validate(claims: AccessTokenClaims): Promise<Principal> {
    if (claims.typ !== 'access' || !claims.sub || !claims.sid || !Array.isArray(claims.scopes)) {
      throw AuthErrors.invalid();
    }
    await this.sessions.assertActive(claims.sid);
    return {
      kind: 'user',
      id: claims.sub,
      ownerId: claims.sub,
      scopes: claims.scopes,
      sessionId: claims.sid,
    };
  }
}
