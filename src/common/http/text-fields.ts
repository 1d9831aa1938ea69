import { HttpStatus } from '@nestjs/common';
import { AppError } from '../app-error';

/** Characters as a reader counts them: an emoji is one, not two UTF-16 units. */
export function codePointLength(value: string): number {
  return [...value].length;
}

/** A free-text field as given, or 400 `text_too_long` past `maxLength` characters (code points). */
export function boundedText(value: string, field: string, maxLength: number): string {
  if (codePointLength(value) > maxLength) {
    throw new AppError(
      HttpStatus.BAD_REQUEST,
      'text_too_long',
      `${field} may have at most ${maxLength} characters`,
    );
  }
  return value;
}
