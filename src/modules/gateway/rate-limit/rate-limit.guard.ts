import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../common/app-error';
import { AppConfig } from '../../../config';
import { Principal, RateLimitClass } from '../auth/principal';
import { defaultRateLimits, rateLimitOf } from './default-rate-limits';
import { RATE_LIMIT_CLASS } from './rate-limit.decorator';
import { RateLimitWindow } from './rate-limit-window';

/**
 * Per-minute budgets per route class (uploads, predict, reads), counted per API key, per
 * user, or per client IP when anonymous; a key may carry its own limits. Answers carry
 * `RateLimit-Limit/Remaining/Reset`; a refusal is a 429 with `Retry-After`.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly defaults: Record<RateLimitClass, number>;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    config: AppConfig,
  ) {
    super(options, storage, reflector);
    this.defaults = defaultRateLimits(config);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.routeClass(context) === undefined;
  }

  protected override async handleRequest({ context }: ThrottlerRequest): Promise<boolean> {
    const routeClass = this.routeClass(context) as RateLimitClass;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const principal = request.user;
    const limit = rateLimitOf(principal, routeClass, this.defaults);
    const tracker = principal ? `${principal.kind}:${principal.id}` : `ip:${request.ip}`;
    const record = await this.storageService.increment(
      `${routeClass}:${tracker}`,
      RateLimitWindow.MS,
      limit,
      0,
      routeClass,
    );
    reply.headers({
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': String(Math.max(0, limit - record.totalHits)),
      'RateLimit-Reset': String(record.timeToExpire),
    });
    if (record.isBlocked) {
      throw new AppError(
        HttpStatus.TOO_MANY_REQUESTS,
        'rate_limited',
        `Rate limit reached: ${limit} ${routeClass} requests per minute`,
        { headers: { 'Retry-After': String(record.timeToBlockExpire) } },
      );
    }
    return true;
  }

  private routeClass(context: ExecutionContext): RateLimitClass | undefined {
    return this.reflector.getAllAndOverride<RateLimitClass>(RATE_LIMIT_CLASS, [
      context.getHandler(),
      context.getClass(),
    ]);
  }
}
