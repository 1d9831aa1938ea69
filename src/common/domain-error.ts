/**
 * What a port or service refuses, said without HTTP: the web layer chooses the answer
 * (`ErrorEnvelopeFilter` maps each kind to a status, a controller may map one itself).
 */
export type DomainErrorKind =
  'invalid' | 'conflict' | 'too_large' | 'unprocessable' | 'range_not_satisfiable' | 'unavailable';

export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;

  constructor(
    /** A stable machine-readable code, the one clients see. */
    readonly code: string,
    message: string,
    /** Machine-readable facts a client may act on (rendered as `error.details`). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
