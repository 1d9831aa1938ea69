import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../common/app-error';

/** The queue cannot take work now: the caller answers 503 or leaves the work to a reconciler. */
export function queueUnavailable(): AppError {
  return new AppError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'queue_unavailable',
    'The job queue is unavailable; try again shortly.',
    { headers: { 'Retry-After': '5' } },
  );
}
