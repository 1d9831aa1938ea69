export { GatewayModule } from './gateway.module';
export { AuthErrors } from './auth/auth-errors';
export { CurrentPrincipal, RequireScopes } from './auth/auth.decorators';
export { hasScope, knownScopes } from './auth/principal';
export type { Principal, RateLimitClass, Scope } from './auth/principal';
export { RateLimit } from './rate-limit/rate-limit.decorator';
export { ApiKeyService } from './keys/api-key.service';
