import { ArgumentMetadata, HttpStatus, Type, ValidationPipe } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AppError } from '../app-error';
import { badRequest, jsonBodyRequired } from './input-errors';

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
    if (metadata.type === 'query' && metadata.metatype) checkDecimals(value, metadata.metatype);
    const transformed: unknown = await super.transform(value, metadata);
    // Only DTO classes turn strings into dates; other values (e.g. a raw tensor) pass as they are.
    if (this.toValidate(metadata)) checkDates(transformed);
    return transformed;
  }
}

/** A number in a query is decimal: `Number()`, which `@Type(() => Number)` calls, reads 0x10. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

function checkDecimals(query: unknown, dto: Type): void {
  if (typeof query !== 'object' || query === null) return;
  for (const [name, raw] of Object.entries(query)) {
    const isNumber = Reflect.getMetadata('design:type', dto.prototype as object, name) === Number;
    if (isNumber && typeof raw === 'string' && !DECIMAL.test(raw)) {
      throw badRequest('bad_request', `${name} must be a decimal number`);
    }
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
