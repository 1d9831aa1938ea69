import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../../common/app-error';

const VERSION = /^[1-9][0-9]{0,8}$/;

/** A version as a path segment (`3`); anything else names no version: 404. */
export function parseModelVersion(name: string, text: string): number {
  if (!VERSION.test(text)) {
    throw new AppError(
      HttpStatus.NOT_FOUND,
      'model_version_not_found',
      `Model ${name} has no version ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}
