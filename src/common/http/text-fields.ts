import { HttpStatus } from '@nestjs/common';
import { AppError } from '../app-error';

/** A free-text field as given, or 400 `text_too_long` past `maxLength` characters. */
export function boundedText(value: string, field: string, maxLength: number): string {
  if (value.length > maxLength) {
    throw new AppError(
      HttpStatus.BAD_REQUEST,
      'text_too_long',
      `${field} may have at most ${maxLength} characters`,
    );
  }
  return value;
}
