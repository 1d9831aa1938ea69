import { SetMetadata } from '@nestjs/common';
import { RateLimitClass } from '../auth/principal';

export const RATE_LIMIT_CLASS = 'vireo:rate-limit-class';

/** Counts the route (or every route of the controller) against one per-minute budget. */
export const RateLimit = (routeClass: RateLimitClass) => SetMetadata(RATE_LIMIT_CLASS, routeClass);
