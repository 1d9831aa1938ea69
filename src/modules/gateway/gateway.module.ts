import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ClockModule } from '../../common/clock.module';
import { SigningSecret } from '../../config';
import { BroadcastModule } from '../broadcast/broadcast.module';
import { PersistenceModule } from '../persistence';
import { AccessTokenService } from './auth/access-token.service';
import { ApiKeyAuthenticator } from './auth/api-key.authenticator';
import { LastUsedRecorder } from './auth/last-used-recorder';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { CredentialCache } from './auth/credential-cache';
import { CredentialsGuard } from './auth/credentials.guard';
import { JwtStrategy } from './auth/jwt.strategy';
import { LoginThrottle } from './auth/login-throttle';
import { ScopesGuard } from './auth/scopes.guard';
import { SessionAuthenticator } from './auth/session.authenticator';
import { ApiKeyController } from './keys/api-key.controller';
import { ApiKeyService } from './keys/api-key.service';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { AdminUsersController } from './users/admin-users.controller';
import { FirstAdminService } from './users/first-admin.service';
import { UserService } from './users/user.service';

/**
 * The API gateway of the web role: every request is authenticated (API key or JWT),
 * authorised by scope, then rate-limited, in that order.
 */
@Module({
  imports: [
    PersistenceModule,
    BroadcastModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [SigningSecret],
      useFactory: (secret: SigningSecret) => ({ secret: secret.value }),
    }),
    RateLimitModule,
    ClockModule,
  ],
  controllers: [AuthController, ApiKeyController, AdminUsersController],
  providers: [
    CredentialCache,
    ApiKeyAuthenticator,
    LastUsedRecorder,
    SessionAuthenticator,
    JwtStrategy,
    AccessTokenService,
    LoginThrottle,
    AuthService,
    ApiKeyService,
    UserService,
    FirstAdminService,
    { provide: APP_GUARD, useClass: CredentialsGuard },
    { provide: APP_GUARD, useClass: ScopesGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [ApiKeyAuthenticator],
})
export class GatewayModule {}
