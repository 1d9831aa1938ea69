export { GatewayModule } from './gateway.module';
export { AuthErrors } from './auth/auth-errors';
export { ApiKeyAuthenticator } from './auth/api-key.authenticator';
export { presentedCredential } from './auth/presented-credential';
export { CurrentPrincipal, REQUIRED_SCOPES, RequireScopes } from './auth/auth.decorators';
export { hasScope, knownScopes } from './auth/principal';
export type { Principal, RateLimitClass, Scope } from './auth/principal';
export { RATE_LIMIT_CLASS, RateLimit } from './rate-limit/rate-limit.decorator';
export { ApiKeyService } from './keys/api-key.service';
