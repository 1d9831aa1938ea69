import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../../config';
import { ReadinessRegistry } from './readiness.registry';

/** The registered readiness checks as terminus attempts, each under `HEALTH_CHECK_TIMEOUT_MS`. */
@Injectable()
export class ReadinessChecks {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ReadinessRegistry,
    private readonly config: AppConfig,
  ) {}

  /** With `sharedForMs`, callers within that time share one run of each check. */
  attempts(sharedForMs?: number): (() => PromiseLike<HealthIndicatorResult>)[] {
    const timeoutMs = this.config.health.checkTimeoutMs;
    return this.registry.entries().map(([name, check]) => () => {
      const attempt = this.indicators.check(name).attempt(check).withTimeout(timeoutMs);
      return sharedForMs === undefined ? attempt : attempt.cacheFor(sharedForMs);
    });
  }
}
