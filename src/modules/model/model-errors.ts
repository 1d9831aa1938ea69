import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../common/app-error';

export function modelNotFound(name: string): AppError {
  return new AppError(HttpStatus.NOT_FOUND, 'model_not_found', `No model named ${name}`);
}

export function modelVersionNotFound(name: string, version: number): AppError {
  return new AppError(
    HttpStatus.NOT_FOUND,
    'model_version_not_found',
    `Model ${name} has no version ${version}`,
  );
}

/** An uploaded artifact the registry refuses (nothing is stored then). */
export function invalidArtifact(message: string, code = 'invalid_model_artifact'): AppError {
  return new AppError(HttpStatus.UNPROCESSABLE_ENTITY, code, message);
}
