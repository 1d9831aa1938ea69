import { Injectable } from '@nestjs/common';

/**
 * A readiness probe: resolves (optionally with details) when healthy, rejects otherwise.
 * It is given an AbortSignal that fires when the check has timed out.
 */
export type ReadinessCheck = (options: {
  signal: AbortSignal;
}) => Promise<Record<string, unknown> | void>;

/**
 * Modules register the checks for the dependencies they own (database, Redis, storage,
 * model); `/health/ready` runs them all, each under the configured timeout.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  entries(): [string, ReadinessCheck][] {
    return [...this.checks.entries()];
  }
}
