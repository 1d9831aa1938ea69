import { AppError } from '../../common/app-error';
import { DomainError } from '../../common/domain-error';

/**
 * What a failed run (batch or training) says to API callers: our own errors' messages; anything
 * else (a driver's or SQL text) only in the log, where the run's id finds it.
 */
export function publicFailure(error: unknown): string {
  if (error instanceof AppError || error instanceof DomainError) return error.message;
  return 'Internal error (details in the worker log)';
}
