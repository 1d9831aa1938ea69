import { HttpException, HttpStatus } from '@nestjs/common';

export interface AppErrorOptions {
  /** Response headers that go with the error (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** Extra machine-readable facts, rendered as `error.details`. */
  details?: Record<string, unknown>;
}

/**
 * An error a client can act on: an HTTP status plus a stable machine-readable code.
 * The error filter renders it as `{ error: { code, message, requestId } }`.
 */
export class AppError extends HttpException {
  readonly headers: Record<string, string>;
  readonly details?: Record<string, unknown>;

  constructor(
    status: HttpStatus,
    readonly code: string,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super({ code, message }, status);
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}
