import { DomainError } from '../../common/domain-error';

/** More bytes arrived than the put allowed; nothing was stored. */
export class ObjectTooLargeError extends DomainError {
  override readonly name = 'ObjectTooLargeError';
  readonly kind = 'too_large';

  constructor(readonly maxBytes: number) {
    super('payload_too_large', `The object is larger than ${maxBytes} bytes`);
  }
}

/** The bytes are not as many as expected (a put's `expectedSize`, an upload's declared size). */
export class SizeMismatchError extends DomainError {
  override readonly name = 'SizeMismatchError';
  readonly kind = 'unprocessable';

  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super('size_mismatch', `Expected ${expected} bytes, got ${actual}`);
  }
}

/** The bytes do not hash to the expected sha256. */
export class ChecksumMismatchError extends DomainError {
  override readonly name = 'ChecksumMismatchError';
  readonly kind = 'unprocessable';

  constructor() {
    super('checksum_mismatch', 'The bytes do not match the given sha256');
  }
}

/** A byte range that starts past the end of the object. */
export class RangeNotSatisfiableError extends DomainError {
  override readonly name = 'RangeNotSatisfiableError';
  readonly kind = 'range_not_satisfiable';

  constructor(readonly size: number) {
    super('range_not_satisfiable', `The object has ${size} bytes`, { size });
  }
}

export class InvalidObjectKeyError extends DomainError {
  override readonly name = 'InvalidObjectKeyError';
  readonly kind = 'invalid';

  constructor(readonly key: string) {
    super('invalid_object_key', `Invalid object key: ${JSON.stringify(key)}`);
  }
}
