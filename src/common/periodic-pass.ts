import { Logger } from '@nestjs/common';

/**
 * A background pass (e.g. a reconciler's) run now and every `intervalMs`, never two at once; a
 * pass that throws is logged and the next one runs as planned.
 */
export class PeriodicPass {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly pass: () => Promise<unknown>,
  ) {}

  start(intervalMs: number): void {
    this.runOnce();
    this.timer = setInterval(() => this.runOnce(), intervalMs).unref();
  }

  /** Ends the timer and waits for a pass in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private runOnce(): void {
    this.running ??= this.pass()
      .catch((error: Error) => this.logger.warn(`${this.what} failed: ${error.message}`))
      .finally(() => (this.running = undefined));
  }
}
