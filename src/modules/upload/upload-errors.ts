import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../common/app-error';

/** Unknown and foreign ids answer alike, so ids cannot be probed. */
export function imageNotFound(): AppError {
  return new AppError(HttpStatus.NOT_FOUND, 'image_not_found', 'No such image');
}

export function emptyFile(): AppError {
  return new AppError(HttpStatus.BAD_REQUEST, 'empty_file', 'The file is empty');
}

export function unsupportedImageType(contentType: string): AppError {
  return new AppError(
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'unsupported_image_type',
    `${contentType} is not a supported image type`,
  );
}

export function contentTypeMismatch(declared: string, actual: string): AppError {
  return new AppError(
    HttpStatus.UNPROCESSABLE_ENTITY,
    'content_type_mismatch',
    `Declared ${declared}, but the bytes are ${actual}`,
  );
}

export function sizeMismatch(declared: number, actual: number): AppError {
  return new AppError(
    HttpStatus.UNPROCESSABLE_ENTITY,
    'size_mismatch',
    `Declared ${declared} bytes, but ${actual} arrived`,
  );
}

export function checksumMismatch(): AppError {
  return new AppError(
    HttpStatus.UNPROCESSABLE_ENTITY,
    'checksum_mismatch',
    'The bytes do not match the declared sha256',
  );
}

export function uploadTooLarge(maxBytes: number): AppError {
  return new AppError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'payload_too_large',
    `Images may have at most ${maxBytes} bytes`,
  );
}

export function badUpload(code: string, message: string): AppError {
  return new AppError(HttpStatus.BAD_REQUEST, code, message);
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
