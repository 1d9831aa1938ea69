import { DomainError } from '../../common/domain-error';

/** The queue cannot take work now: the caller answers 503 or leaves the work to a reconciler. */
export class QueueUnavailableError extends DomainError {
  override readonly name = 'QueueUnavailableError';
  readonly kind = 'unavailable';

  constructor() {
    super('queue_unavailable', 'The job queue is unavailable; try again shortly.');
  }
}
