import { AppConfig } from '../../../config';
import { Principal, RateLimitClass } from '../auth/principal';

/** Per-minute budgets of each route class, unless a key carries its own. */
export function defaultRateLimits(config: AppConfig): Record<RateLimitClass, number> {
  const { uploadsPerMin, predictPerMin, readsPerMin, keysPerMin } = config.rateLimits;
  return { uploads: uploadsPerMin, predict: predictPerMin, reads: readsPerMin, keys: keysPerMin };
}

export function rateLimitOf(
  principal: Principal | undefined,
  routeClass: RateLimitClass,
  defaults: Record<RateLimitClass, number>,
): number {
  return principal?.rateLimits?.[routeClass] ?? defaults[routeClass];
}
