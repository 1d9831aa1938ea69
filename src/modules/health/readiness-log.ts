import { Logger } from '@nestjs/common';

/**
 * Logs readiness when it changes, not on every probe: a kubelet polls every few seconds, and
 * a process that is loading models or has lost a dependency is a state, not an error each time.
 */
export class ReadinessLog {
  private last?: string;

  constructor(private readonly logger: Pick<Logger, 'log' | 'warn'> = new Logger('Readiness')) {}

  record(failed: readonly string[]): void {
    const state = [...failed].sort().join(', ');
    if (state === this.last) return;
    const first = this.last === undefined;
    this.last = state;
    if (failed.length > 0) this.logger.warn(`Not ready: ${state} failed`);
    else if (!first) this.logger.log('Ready again');
  }
}
