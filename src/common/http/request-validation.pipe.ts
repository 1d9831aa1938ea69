import { ArgumentMetadata, HttpStatus, ValidationPipe } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AppError } from '../app-error';
import { jsonBodyRequired } from './input-errors';

/** The years every date of the API falls in (ISO 8601's four digits; PostgreSQL holds them). */
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Nest's ValidationPipe (whitelist, forbid unknown fields, transform), and two rules for every
 * route: a body a handler takes as a value must have been parsed (415 for a raw stream), and a
 * date outside years 1-9999 is a 400, not a database error.
 */
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // An image or octet-stream body stays a stream (see binary-body.ts); a route that takes a
    // body as a value wants JSON. (class-transformer walking a socket aborts the process.)
    if (metadata.type === 'body' && value instanceof Readable) throw jsonBodyRequired();
    const transformed: unknown = await super.transform(value, metadata);
    // Only DTO classes turn strings into dates; other values (e.g. a raw tensor) pass as they are.
    if (this.toValidate(metadata)) checkDates(transformed);
    return transformed;
  }
}

/** DTOs are shallow, and JSON bodies are depth-limited before they get here. */
function checkDates(value: unknown): void {
  const pending = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node instanceof Date) {
      const time = node.getTime();
      if (time < EARLIEST || time > LATEST) throw dateOutOfRange();
    } else if (typeof node === 'object' && node !== null) {
      for (const child of Object.values(node)) pending.push(child);
    }
  }
}

function dateOutOfRange(): AppError {
  return new AppError(
    HttpStatus.BAD_REQUEST,
    'invalid_date',
    'Dates must fall in the years 0001 to 9999',
  );
}
