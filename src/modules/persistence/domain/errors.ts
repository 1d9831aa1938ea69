import { DomainError } from '../../../common/domain-error';

/** A create or update would break a uniqueness rule (e.g. the same sha256 twice for an owner). */
export class DuplicateRecordError extends Error {
  override readonly name = 'DuplicateRecordError';

  constructor(
    readonly entity: string,
    /** The columns of the broken unique constraint, when the database named them. */
    readonly fields: string[],
  ) {
    super(`Duplicate ${entity}${fields.length ? ` (${fields.join(', ')})` : ''}`);
  }
}

/** The record an operation depends on does not exist. */
export class RecordNotFoundError extends Error {
  override readonly name = 'RecordNotFoundError';

  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`No ${entity} ${key}`);
  }
}

/** A page cursor this API did not hand out (or one of another listing). */
export class InvalidCursorError extends DomainError {
  override readonly name = 'InvalidCursorError';
  readonly kind = 'invalid';

  constructor() {
    super('invalid_cursor', 'The cursor is not one we gave');
  }
}
