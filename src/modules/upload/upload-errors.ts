import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../common/app-error';
import { badRequest, fileTooLarge } from '../../common/http/input-errors';

export { emptyFile, unsupportedImageType } from '../../common/http/input-errors';

/** Unknown and foreign ids answer alike, so ids cannot be probed. */
export function imageNotFound(): AppError {
  return new AppError(HttpStatus.NOT_FOUND, 'image_not_found', 'No such image');
}

export function contentTypeMismatch(declared: string, actual: string): AppError {
  return new AppError(
    HttpStatus.UNPROCESSABLE_ENTITY,
    'content_type_mismatch',
    `Declared ${declared}, but the bytes are ${actual}`,
  );
}

/** A presigned upload stored under another type than the one its link was made for. */
export function uploadedWithAnotherType(): AppError {
  return new AppError(
    HttpStatus.FORBIDDEN,
    'signed_url_invalid',
    'The upload was sent with another Content-Type than its link allows',
  );
}

export function uploadIncomplete(): AppError {
  return new AppError(
    HttpStatus.CONFLICT,
    'upload_incomplete',
    'No bytes have arrived for this upload yet; PUT them to its uploadUrl first',
  );
}

/** Another complete of the same upload has held it longer than a completion may take. */
export function completionInProgress(): AppError {
  return new AppError(
    HttpStatus.CONFLICT,
    'upload_completing',
    'This upload is being completed by another request; try again shortly',
    { headers: { 'Retry-After': '5' } },
  );
}

export function uploadTooLarge(maxBytes: number): AppError {
  return fileTooLarge(maxBytes, 'An image');
}

/** A 400 of the upload routes (the codes are upload's own). */
export const badUpload = badRequest;
